"""How a training iteration's updates are executed.

A method's `train_step` says what an iteration does, in the original's order, through the few
operations of `self.ops`: an update of a wrapper trainer, an inference of a network, a draw from
the run's random generator, a draw from D_M's mask pool. Two executors implement them:

- `SeparateCalls` (the reference): each update one `train_on_batch` of its wrapper, each
  inference one `predict_on_batch`, draws on the host; the original's execution.
- `CompiledIteration`: the whole `train_step` traced into one compiled program (JAX: `jax.jit`
  over the wrappers' stateless train steps, the variables threaded from one update to the next;
  TensorFlow: `tf.function` over their train steps). The host still makes every random draw, in
  the reference's order, and passes them in, so both executors compute the same iteration (to
  float rounding). Before the first iteration of a batch shape, a dry run of `train_step` builds
  the wrappers and records the draws an iteration of that shape makes.

`engine` in the configuration chooses ("auto": compiled on JAX and TensorFlow, separate calls on
PyTorch).
"""
from __future__ import annotations

import numpy as np
import keras

COMPILED_BACKENDS = ("jax", "tensorflow")     # PyTorch keeps the separate calls


class SeparateCalls:
    """The reference: one compiled call per update or prediction, draws from the host's generator."""

    def __init__(self, method):
        self.method = method

    def update(self, trainer_name, x, y) -> dict:
        self.method.before_update(trainer_name)
        logs = self.method.trainers[trainer_name].train_on_batch(x, y, return_dict=True)
        return {k: float(v) for k, v in logs.items()}

    def infer(self, network, x):
        """`network` in inference mode."""
        return network.predict_on_batch(x)

    def masks(self, images, training: bool):
        """The method's masks of `images`, with the batch-norm statistics of the batch (training
        mode; the moving statistics stay as they were) or the moving ones."""
        if training:
            return self.method.training_mode_masks(images)
        return self.method.predict_masks(images, batch_size=images.shape[0])

    def normal(self, rng, shape):
        return rng.standard_normal(shape).astype("float32")

    def from_pool(self, rng, pool, masks):
        """Add `masks` to the pool, then draw as many from it (original get_fake)."""
        return pool.add_and_sample(masks, masks.shape[0], rng)


class _Planning:
    """A dry run of `train_step` that changes nothing: it builds each wrapper's losses and
    optimiser (what the first train_on_batch would) and records the draws an iteration makes."""

    def __init__(self, method):
        self.method = method
        self.plan = []

    def update(self, trainer_name, x, y) -> dict:
        self.method.before_update(trainer_name)
        trainer = self.method.trainers[trainer_name]
        trainer._symbolic_build(data_batch=(x, y, None))    # as train_on_batch does first (Keras 3)
        if not trainer.optimizer.built:
            trainer.optimizer.build(trainer.trainable_variables)
        return _AnyLoss()

    def infer(self, network, x, training=False):
        return np.zeros(network.compute_output_shape(x.shape), "float32")

    def masks(self, images, training: bool):
        return self.infer(self.method.mask_network(), images)

    def normal(self, rng, shape):
        self.plan.append(("normal", tuple(shape)))
        return np.zeros(shape, "float32")

    def from_pool(self, rng, pool, masks):
        self.plan.append(("pool", masks.shape[0]))
        return masks


class _AnyLoss(dict):
    def __missing__(self, key):
        return 0.0


class _TracedOps:
    """The operations inside the compiled program: draws are the program's inputs, the pool a
    fixed-size buffer (the last `size` masks at its end)."""

    def __init__(self, method, draws, pool_buffer):
        self.method = method
        self.draws = list(draws)
        self.pool_buffer = pool_buffer

    def _get(self, variables):
        """The variables' current values inside the program."""
        raise NotImplementedError

    def infer(self, network, x, training=False):
        out, _ = network.stateless_call(self._get(network.trainable_variables), self._get(network.non_trainable_variables),
                                        x, training=training)
        return out

    def masks(self, images, training: bool):
        return self.infer(self.method.mask_network(), images, training)

    def normal(self, rng, shape):
        return self.draws.pop(0)

    def from_pool(self, rng, pool, masks):
        positions = self.draws.pop(0)
        size = self.pool_buffer.shape[0]
        self.pool_buffer = keras.ops.concatenate([self.pool_buffer, keras.ops.cast(masks, self.pool_buffer.dtype)])[-size:]
        return keras.ops.take(self.pool_buffer, positions, axis=0)


class _JaxOps(_TracedOps):
    """Stateless: every variable's value is looked up in, and written back to, `values`."""

    def __init__(self, method, draws, pool_buffer, values):
        super().__init__(method, draws, pool_buffer)
        self.values = values       # id(variable) -> value

    def _get(self, variables):
        return [self.values[id(v)] for v in variables]

    def _set(self, variables, new):
        for v, value in zip(variables, new):
            self.values[id(v)] = value

    def update(self, trainer_name, x, y) -> dict:
        self.method.before_update(trainer_name)
        trainer = self.method.trainers[trainer_name]
        groups = (trainer.trainable_variables, trainer.non_trainable_variables, trainer.optimizer.variables)
        metrics = [keras.ops.zeros_like(self.values[id(v)]) for v in trainer.metrics_variables]   # reset, as train_on_batch
        logs, state = trainer.train_step(tuple(self._get(g) for g in groups) + (metrics,), (x, y))
        for variables, new in zip(groups + (trainer.metrics_variables,), state):
            self._set(variables, new)
        return logs


class _TensorFlowOps(_TracedOps):
    """Stateful, as the wrappers' own tf.functions: variables are read and assigned in order."""

    def update(self, trainer_name, x, y) -> dict:
        self.method.before_update(trainer_name)
        trainer = self.method.trainers[trainer_name]
        trainer.reset_metrics()
        return trainer.train_step((x, y))

    def _get(self, variables):
        return [v.value for v in variables]        # read in program order, after earlier assignments


class CompiledIteration:
    """One compiled program per iteration of `method.train_step`, per batch shape."""

    def __init__(self, method):
        self.method = method
        self.backend = keras.backend.backend()
        if self.backend not in COMPILED_BACKENDS:
            raise ValueError(f"engine=compiled runs on JAX or TensorFlow, not {self.backend}; use engine=separate")
        self.programs = {}         # batch signature -> (compiled function, draw plan)
        self._variables = None     # JAX: the variables the programs thread, in order
        self._held = None          # JAX: their values after the last iteration, until `sync`

    def step(self, batch, rng) -> dict:
        self._batch_type = type(batch)     # the method's Batch, rebuilt from the program's inputs
        arrays = {k: v for k, v in vars(batch).items() if v is not None}
        key = (tuple((k, v.shape) for k, v in sorted(arrays.items())), self.method.step_signature())
        if key not in self.programs:
            planning = _Planning(self.method)
            self._run_traced(planning, arrays)
            self.programs[key] = (self._compile(planning.plan), planning.plan)
        program, plan = self.programs[key]
        draws = [self._draw(rng, kind, argument) for kind, argument in plan]
        losses = program(arrays, draws, self._pool_buffer())
        return {k: float(v) for k, v in losses.items()}

    # -- host side -----------------------------------------------------------------------------
    def _draw(self, rng, kind, argument):
        """The reference's draw, made on the host in the same order; a pool draw becomes the
        positions of the chosen masks in the pool's fixed-size buffer."""
        if kind == "normal":
            return rng.standard_normal(argument).astype("float32")
        return self.method.pool.positions(argument, argument, rng).astype("int32")

    def _pool_buffer(self):
        pool = getattr(self.method, "pool", None)
        if pool is None or pool.buffer is not None:
            return getattr(pool, "buffer", None)
        cfg = self.method.cfg                 # before the first masks: zeros
        return np.zeros((pool.size, cfg.image_size, cfg.image_size, cfg.num_masks), "float32")

    def _keep_pool(self, buffer, plan):
        """The pool after the iteration: the program's buffer, holding what the reference's would."""
        for kind, argument in plan:
            if kind == "pool":
                self.method.pool.keep(buffer, argument)

    # -- the compiled programs -------------------------------------------------------------------
    def _compile(self, plan):
        return self._compile_jax(plan) if self.backend == "jax" else self._compile_tensorflow(plan)

    def _run_traced(self, ops, arrays):
        reference, self.method.ops = self.method.ops, ops
        try:
            return self.method.train_step(self._batch_type(**arrays), None)
        finally:
            self.method.ops = reference

    def _compile_jax(self, plan):
        import jax

        method = self.method
        variables = self._jax_variables()

        def iteration(values, arrays, draws, pool_buffer):
            ops = _JaxOps(method, draws, pool_buffer, {id(v): x for v, x in zip(variables, values)})
            losses = self._run_traced(ops, arrays)
            return [ops.values[id(v)] for v in variables], losses, ops.pool_buffer

        compiled = jax.jit(iteration, donate_argnums=0)     # the old values are replaced: update in place

        def run(arrays, draws, pool_buffer):
            values = self._held if self._held is not None else [v.value for v in variables]
            self._held, losses, buffer = compiled(values, arrays, draws, pool_buffer)
            self._keep_pool(buffer, plan)
            return losses

        return run

    def _jax_variables(self):
        """Every variable an iteration reads or writes, once: the method's state and the wrappers'
        loss trackers."""
        if self._variables is None:
            method = self.method
            variables = method.state_variables() + [v for t in method.trainers.values() for v in t.metrics_variables]
            self._variables = list({id(v): v for v in variables}.values())
        return self._variables

    def sync(self):
        """Write the values the JAX programs hold back into the Keras variables; call before
        anything else reads or changes them (validation, checkpoints, the end of an epoch)."""
        if self._held is not None:
            for v, value in zip(self._variables, self._held):
                v.assign(value)
            self._held = None

    def _compile_tensorflow(self, plan):
        import tensorflow as tf

        method = self.method

        @tf.function(jit_compile=bool(method.cfg.xla), autograph=False)   # the step's Python is static
        def iteration(arrays, draws, pool_buffer):
            ops = _TensorFlowOps(method, draws, pool_buffer)
            losses = self._run_traced(ops, arrays)
            return losses, ops.pool_buffer

        def run(arrays, draws, pool_buffer):
            losses, buffer = iteration(arrays, draws, pool_buffer)
            self._keep_pool(buffer, plan)
            return losses

        return run


class SeparateIterations:
    """The reference executor for a run's loop: each iteration the method's own `train_step`,
    whose updates and predictions are `SeparateCalls`, one compiled call each."""

    def __init__(self, method):
        self.method = method
        self.step = method.train_step

    def sync(self):
        """Nothing held: every update wrote its variables."""


def iteration_runner(method):
    """What runs the method's iterations as `cfg.engine` chooses: `.step(batch, rng) -> losses`,
    and `.sync()` before the variables are read."""
    engine = method.cfg.engine
    if engine == "auto":         # run_eagerly asks for no graph at all
        runs = keras.backend.backend() in COMPILED_BACKENDS and not method.cfg.run_eagerly
        engine = "compiled" if runs else "separate"
    return CompiledIteration(method) if engine == "compiled" else SeparateIterations(method)
