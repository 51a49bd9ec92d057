"""Training on several devices and machines with `tf.distribute`.

`--distribution_strategy` picks the engine:
  default       the original's single-device training, unchanged;
  mirrored      `tf.distribute.MirroredStrategy` over the GPUs of one machine (`--num_gpus`,
                or an explicit `--devices` list);
  multi_worker  `tf.distribute.MultiWorkerMirroredStrategy` over a cluster described by the
                standard `TF_CONFIG` environment variable (each worker runs the same command).

The training step under a strategy is `translate.train.trainer.StrategyTrainer` (the global
batch split evenly across the replicas, gradients all-reduced, the same update on every copy);
its input is `translate.datasets.DistributedBuckets`. This module makes the strategy and
keeps a cluster's workers together.

The variables are `MirroredVariable`s under their TF 1.x names, so checkpoints are the usual
name-keyed ones: written by the chief only, restored on any number of replicas or by the
single-device `--decode`.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping, Sequence

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker")

_SUM = tf.distribute.ReduceOp.SUM


def make_strategy(
    name: str,
    num_gpus: int = -1,
    devices: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
) -> tf.distribute.Strategy | None:
    """The strategy `--distribution_strategy` names; call it before TensorFlow runs anything.

    Args:
      name: one of `STRATEGIES`.
      num_gpus: GPUs per machine: -1 every GPU there is (the CPU when there is none), 0 the
        CPU only, N the first N GPUs.
      devices: for "mirrored", the devices to mirror over instead, e.g. ["/gpu:0", "/gpu:2"];
        CPU devices "/cpu:0".."/cpu:K-1" split the CPU into K logical devices (for tests and
        benchmarks on machines without GPUs).
      environ: where to read TF_CONFIG (default os.environ).

    Returns:
      None for "default" (the original's single-device training), else the strategy.

    Raises:
      ValueError: an unknown name, a flag that does not fit the strategy, more GPUs than the
        machine has, or a missing or malformed TF_CONFIG for "multi_worker".
    """
    if name not in STRATEGIES:
        raise ValueError(f"--distribution_strategy={name} is not one of {', '.join(STRATEGIES)}")
    devices = list(devices)
    if name == "default":
        if devices or num_gpus != -1:
            raise ValueError("--num_gpus and --devices need --distribution_strategy=mirrored or "
                             "multi_worker")
        return None
    if devices and num_gpus != -1:
        raise ValueError("give either --num_gpus or --devices, not both")
    if name == "multi_worker":
        if devices:
            raise ValueError("--devices applies to --distribution_strategy=mirrored; a "
                             "multi_worker cluster uses --num_gpus GPUs on every worker")
        tf_config_task(os.environ if environ is None else environ)
        _limit_gpus(num_gpus)
        return tf.distribute.MultiWorkerMirroredStrategy()
    if devices:
        _make_cpu_devices(devices)
        return tf.distribute.MirroredStrategy(devices)
    _limit_gpus(num_gpus)
    if num_gpus == 0 or not tf.config.list_physical_devices("GPU"):
        return tf.distribute.MirroredStrategy(["/cpu:0"])
    return tf.distribute.MirroredStrategy()


def local_cluster(num_workers: int) -> dict[str, list[str]]:
    """A TF_CONFIG `cluster` of `num_workers` workers on 127.0.0.1, for trying `multi_worker`
    on one machine: ports the OS had free a moment ago (held open together, so they differ)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(num_workers)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return {"worker": [f"127.0.0.1:{s.getsockname()[1]}" for s in sockets]}
    finally:
        for s in sockets:
            s.close()


def tf_config_task(environ: Mapping[str, str]) -> tuple[str, int]:
    """Checks the TF_CONFIG of a multi-worker run and returns this process's task.

    Args:
      environ: the environment holding TF_CONFIG.

    Returns:
      (task type, task index), e.g. ("worker", 0).

    Raises:
      ValueError: TF_CONFIG is missing, is not JSON, or lacks or contradicts its cluster.
    """
    example = ('TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
               '"task": {"type": "worker", "index": 0}}\'')
    raw = environ.get("TF_CONFIG")
    if not raw:
        raise ValueError("--distribution_strategy=multi_worker needs the TF_CONFIG environment "
                         f"variable on every worker, e.g. {example}")
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"TF_CONFIG is not valid JSON ({e}): {raw[:200]!r}") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ValueError(f"TF_CONFIG needs a 'cluster' and a 'task' object, e.g. {example}; "
                         f"got {raw[:200]!r}")
    task_type, index = task.get("type"), task.get("index")
    members = cluster.get(task_type)
    if not isinstance(members, list) or not isinstance(index, int) or not (
            0 <= index < len(members)):
        raise ValueError(f"TF_CONFIG task {task!r} is not in its cluster "
                         f"{sorted(cluster)} (task type must name a list of addresses and "
                         "index a position in it)")
    return task_type, index


def _limit_gpus(num_gpus: int) -> None:
    if num_gpus < 0:
        return
    gpus = tf.config.list_physical_devices("GPU")
    if num_gpus > len(gpus):
        raise ValueError(f"--num_gpus={num_gpus} but this machine has {len(gpus)} GPU(s)")
    tf.config.set_visible_devices(gpus[:num_gpus], "GPU")


def _make_cpu_devices(devices: Sequence[str]) -> None:
    """Splits the CPU into as many logical devices as `devices` names CPUs."""
    cpus = [d for d in devices if tf.DeviceSpec.from_string(d).device_type == "CPU"]
    if len(cpus) < 2:
        return
    physical = tf.config.list_physical_devices("CPU")[0]
    configuration = [tf.config.LogicalDeviceConfiguration()] * len(cpus)
    if tf.config.get_logical_device_configuration(physical) == configuration:
        return
    try:
        tf.config.set_logical_device_configuration(physical, configuration)
    except RuntimeError as e:
        raise ValueError(f"cannot split the CPU into {len(cpus)} devices for --devices="
                         f"{','.join(devices)}: TensorFlow had already started ({e})") from None


def check_global_batch(strategy: tf.distribute.Strategy | None, batch_size: int) -> None:
    """Checks that the global batch splits evenly across the strategy's replicas.

    Raises:
      ValueError: `batch_size` is not a multiple of the number of replicas.
    """
    replicas = 1 if strategy is None else strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise ValueError(f"--batch_size={batch_size} must be divisible by the number of "
                         f"replicas ({replicas}): each replica takes an equal share of the "
                         "global batch")


def scope(strategy: tf.distribute.Strategy | None):
    """`strategy.scope()`, or a scope that does nothing for the default (None)."""
    return strategy.scope() if strategy is not None else tf.distribute.get_strategy().scope()


def sync_workers(strategy: tf.distribute.Strategy | None, model) -> None:
    """In a cluster, gives every worker the chief's values of the model's variables.

    Call it after restoring a checkpoint, so the workers agree even when they cannot all
    read `--train_dir`. Does nothing on one machine (all copies were assigned together).

    Args:
      strategy: the strategy the model was created under (None: the default).
      model: the model (its `variables_by_name`).
    """
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        broadcast_from_chief(strategy, list(model.variables_by_name.values()))


def broadcast_from_chief(strategy: tf.distribute.Strategy, variables: list[tf.Variable]) -> None:
    """Gives every replica's copy of `variables` the values of replica 0 (on the chief)."""

    def chief_values() -> list[tf.Tensor]:
        context = tf.distribute.get_replica_context()
        source = tf.equal(context.replica_id_in_sync_group, 0)
        return [tf.where(source, v.read_value(), tf.zeros_like(v)) for v in variables]

    def assign(variable: tf.Variable, value: tf.Tensor) -> tf.Operation:
        return variable.assign(value)

    @tf.function(autograph=False)
    def broadcast() -> None:
        values = strategy.run(chief_values)
        # A batched all-reduce packs its tensors together: one batch per dtype, in the same
        # order on every worker (collectives pair up in the order they are traced).
        for dtype in sorted({v.dtype.base_dtype for v in variables}, key=lambda d: d.name):
            group = [(value, var) for value, var in zip(values, variables)
                     if var.dtype.base_dtype == dtype]
            reduced = strategy.extended.batch_reduce_to(_SUM, group)
            for (_, var), value in zip(group, reduced):
                strategy.extended.update(var, assign, args=(value,))

    broadcast()
