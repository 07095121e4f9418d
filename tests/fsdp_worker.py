"""One rank of the FSDP2 check in ``tests/test_fsdp.py`` (run by ``torchrun --nproc-per-node 2``).

Shards a tiny bridged model with ``torch.distributed.fsdp.fully_shard`` on CPU processes (gloo): every LLM
decoder layer, the bridge, then the whole model. Each rank takes its half of a fixed batch; the summed token
loss is backpropagated, and rank 0 writes the loss sums and the full (gathered) gradients of the trainable
parameters. FSDP averages gradients over ranks, so ``world_size x`` these equal one process's gradients of
the whole batch's summed loss.
"""

from __future__ import annotations

import json
import sys

import torch
import torch.distributed as dist
from fsdp_reference import EXAMPLES, build, summed_loss
from safetensors.torch import save_file
from torch.distributed.fsdp import fully_shard


def main(components: str, stage: str, out: str) -> None:
    dist.init_process_group(backend="gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    model, processor = build(components, stage)
    for layer in model.language_model.model.layers:
        fully_shard(layer)
    fully_shard(model.bridge)
    fully_shard(model)
    share = len(EXAMPLES) // world
    loss = summed_loss(model, processor, EXAMPLES[rank * share : (rank + 1) * share])
    loss.backward()
    losses = [None] * world
    dist.all_gather_object(losses, float(loss))
    grads = {
        name: (param.grad.full_tensor() if hasattr(param.grad, "full_tensor") else param.grad)
        .detach()
        .clone()
        for name, param in model.named_parameters()
        if param.requires_grad
    }
    sharded = sorted({type(param).__name__ for _, param in model.named_parameters()})
    if rank == 0:
        save_file({name: grad.contiguous() for name, grad in grads.items()}, f"{out}/grads.safetensors")
        with open(f"{out}/result.json", "w", encoding="utf-8") as handle:
            json.dump({"losses": losses, "world": world, "parameter_types": sharded}, handle)
    dist.destroy_process_group()


if __name__ == "__main__":
    torch.set_num_threads(1)
    main(*sys.argv[1:4])
