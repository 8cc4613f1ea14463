"""A simulated multi-node ``yocr run --ray``: a Ray cluster of several one-CPU worker nodes on this machine.

    python tools/ray_multinode.py runs/sroie-val-imgs/52[6-9].jpg runs/sroie-val-imgs/53?.jpg --out runs/ray-nodes

The head node holds no CPU (it only schedules), so every page is read on a worker node; the script prints how many
pages each node read. Needs ``yocr[ray]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import ray
from ray.cluster_utils import Cluster

from yocr.pipeline.ray_run import RayOptions, Tally, run_on_ray
from yocr.pipeline.reader import ReaderConfig
from yocr.pipeline.run import RunOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--nodes", type=int, default=2, help="worker nodes, one CPU each")
    args = parser.parse_args()

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    workers = [cluster.add_node(num_cpus=1) for _ in range(args.nodes)]
    ray.init(address=cluster.address, include_dashboard=False, logging_level="WARNING")
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        names = {w.node_id: f"worker node {k + 1}" for k, w in enumerate(workers)}
        print(f"cluster: head (0 CPU) + {args.nodes} worker nodes; resources {ray.cluster_resources()}")
        tally = Tally()
        summary = run_on_ray(args.inputs, RunOptions(args.out, overwrite=True), ReaderConfig(), RayOptions("auto"),
                             tally=tally)
        print(f"{summary.done} files read, {summary.failed} failed; {summary.pages} pages in {summary.seconds:.1f} s")
        for node, pages in sorted(tally.nodes.items(), key=lambda kv: names.get(kv[0], kv[0])):
            print(f"  {names.get(node, 'node ' + node[:8])}: {pages} pages")
    finally:
        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    main()
