"""The model shards under FSDP on CPU processes: ``torch.distributed.fsdp.fully_shard`` (FSDP2, gloo) over
every LLM decoder layer, the bridge and the whole model, 2 processes with half a batch each, gives one
process's loss and gradients of the whole batch, for stage 1 (bridge trains) and stage 2 (the LLM trains).

accelerate 1.15 does not turn FSDP on for CPU process groups (README, "Scaling out"), so this drives FSDP2
directly; it is the check that the model itself is FSDP-ready (it caught the boundary embeddings being read
outside the bridge's forward, where a sharded bridge's parameters are not gathered).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fsdp_reference import EXAMPLES, build, summed_loss
from safetensors.torch import load_file

TESTS = Path(__file__).resolve().parent


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["align", "task"])
def test_two_fsdp_processes_give_one_process_loss_and_gradients(tmp_path, stage):
    from lingualift.modeling.tiny import build_tiny_components

    components = tmp_path / "components"
    build_tiny_components(components)
    model, processor = build(str(components), stage)
    loss = summed_loss(model, processor, EXAMPLES)
    loss.backward()
    reference = {name: p.grad for name, p in model.named_parameters() if p.requires_grad}
    out = tmp_path / "fsdp"
    out.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(TESTS.parent)}
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2"]
    command += ["fsdp_worker.py", str(components), stage, str(out)]
    done = subprocess.run(command, cwd=TESTS, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((out / "result.json").read_text())
    assert result["parameter_types"] == ["DTensor"]  # every parameter sharded
    assert abs(sum(result["losses"]) - float(loss)) <= 1e-3 * float(loss)
    grads = load_file(str(out / "grads.safetensors"))
    assert grads.keys() == reference.keys() and len(grads) >= (6 if stage == "align" else 20)
    for name, want in reference.items():
        got = grads[name] * result["world"]  # FSDP averages the ranks' gradients
        assert (got - want).abs().max().item() <= 1e-4 * (1.0 + want.abs().max().item()), name
