"""``lingualift model ...``: assemble a bridged model, inspect a checkpoint, or generate from one."""

from __future__ import annotations

import argparse
import json

from lingualift.errors import ConfigError
from lingualift.modeling.configuration import BRIDGE_TYPES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("model", help="assemble, inspect or run a bridged model")
    sub = parser.add_subparsers(dest="model_command", metavar="ACTION", required=True)

    build = sub.add_parser("build", help="assemble encoder + fresh bridge + LLM and save a bridge checkpoint")
    build.add_argument("--encoder", required=True, help="hub id or directory of the multilingual encoder")
    build.add_argument("--llm", required=True, help="hub id or directory of the decoder LLM")
    build.add_argument("--bridge-type", choices=BRIDGE_TYPES, default="mlp2")
    build.add_argument("--bridge-hidden-size", type=int, default=None)
    build.add_argument("--encoder-revision", default=None)
    build.add_argument("--llm-revision", default=None)
    build.add_argument("--seed", type=int, default=0)
    build.add_argument(
        "--out", required=True, help="directory of the bridge checkpoint to write (new or empty)"
    )
    build.add_argument(
        "--overwrite", action="store_true", help="replace a lingualift checkpoint already in --out"
    )
    build.set_defaults(func=_build)

    info = sub.add_parser("info", help="print the form, bases and sizes of a checkpoint")
    info.add_argument("checkpoint", help="checkpoint directory or Hub id")
    info.set_defaults(func=_info)

    gen = sub.add_parser("generate", help="greedy generation from a checkpoint (JSON lines: input, output)")
    gen.add_argument("checkpoint")
    gen.add_argument("--instruction", default="Answer the following question step by step.")
    gen.add_argument("--input", action="append", required=True, help="task input (repeat for a batch)")
    gen.add_argument("--max-new-tokens", type=int, default=128)
    gen.set_defaults(func=_generate)


def _build(args: argparse.Namespace) -> int:
    import torch

    from lingualift.modeling.modeling import LinguaLiftForCausalLM
    from lingualift.modeling.processing import LinguaLiftProcessor
    from lingualift.persistence.checkpoints import check_checkpoint_output, save_bridge

    check_checkpoint_output(args.out, args.overwrite)  # before loading any model
    torch.manual_seed(args.seed)
    processor = LinguaLiftProcessor.from_components(
        args.encoder, args.llm, encoder_revision=args.encoder_revision, llm_revision=args.llm_revision
    )
    model = LinguaLiftForCausalLM.from_components(
        encoder=args.encoder,
        llm=args.llm,
        processor=processor,
        bridge_type=args.bridge_type,
        bridge_hidden_size=args.bridge_hidden_size,
        encoder_revision=args.encoder_revision,
        llm_revision=args.llm_revision,
    )
    save_bridge(model, args.out, processor=processor, overwrite=args.overwrite)
    print(
        f"wrote bridge checkpoint {args.out} "
        f"({sum(p.numel() for p in model.bridge.parameters()):,} bridge parameters)"
    )
    return 0


def _info(args: argparse.Namespace) -> int:
    from lingualift.modeling.configuration import LinguaLiftConfig
    from lingualift.persistence.checkpoints import resolve_checkpoint

    resolved = resolve_checkpoint(args.checkpoint)
    form = resolved.form
    if resolved.is_plain:
        print(json.dumps({"form": form, "directory": str(resolved.directory)}, indent=2))
        return 0
    config = LinguaLiftConfig.from_pretrained(str(resolved.directory))
    print(
        json.dumps(
            {
                "form": form,
                "encoder": config.encoder_name_or_path,
                "encoder_type": config.encoder_config.model_type,
                "llm": config.llm_name_or_path,
                "llm_type": config.text_config.model_type,
                "bridge_type": config.bridge_type,
                "bridge_hidden_size": config.bridge_hidden_size or config.llm_hidden_size,
                "encoder_hidden_size": config.encoder_hidden_size,
                "llm_hidden_size": config.llm_hidden_size,
            },
            indent=2,
        )
    )
    return 0


def _generate(args: argparse.Namespace) -> int:
    from lingualift.modeling.modeling import LinguaLiftForCausalLM
    from lingualift.modeling.processing import LinguaLiftProcessor

    if args.max_new_tokens < 1:
        raise ConfigError(f"--max-new-tokens: expected >= 1, got {args.max_new_tokens}")
    model = LinguaLiftForCausalLM.from_checkpoint(args.checkpoint).eval()
    processor = LinguaLiftProcessor.from_pretrained(args.checkpoint)
    batch = processor([args.instruction] * len(args.input), args.input)
    out = model.generate(**batch, max_new_tokens=args.max_new_tokens, do_sample=False)
    for text, source in zip(processor.batch_decode(out[:, batch["input_ids"].shape[1] :]), args.input):
        print(json.dumps({"input": source, "output": text.strip()}, ensure_ascii=False))
    return 0
