"""How a training iteration's updates are executed.

A method's `train_step` says what an iteration does, in the original's order, through a small
fixed set of operations, `self.ops`, that know no method:

- `update(trainer, x, y)`: one update of a wrapper trainer; its losses;
- `infer(network, x, training)`: a network's output (training: batch norm on the batch's own
  statistics, the moving ones left as they were);
- `normal(rng, shape)`: standard normals from the run's generator;
- `indices(rng, count, choose)`: `count` indices that `choose(rng)` draws on the host; `choose`
  may read and advance the method's host-side counters (the mask pool's count of held masks),
  never a value the step computes;
- `read(variable)`, `assign(variable, value)`: a method's own per-step state (the mask pool's
  buffer, a teacher's weights), kept in Keras variables.

Two executors implement them:

- `SeparateCalls` (the reference): each update one `train_on_batch` of its wrapper, each
  inference one `predict_on_batch`, draws on the host; the original's execution.
- `CompiledIteration`: the whole `train_step` traced into one compiled program (JAX: `jax.jit`
  over the wrappers' stateless train steps, the variables threaded from one update to the next;
  TensorFlow: `tf.function` over their train steps). The host still makes every random draw, in
  the reference's order, and passes them in, so both executors compute the same iteration (to
  float rounding). Before the first iteration of a batch shape, a dry run of `train_step` builds
  the wrappers and records the draws an iteration of that shape makes and the variables it
  reads or assigns.

`engine` in the configuration chooses ("auto": compiled on JAX and TensorFlow, separate calls on
PyTorch).
"""
from __future__ import annotations

import abc

import numpy as np
import keras

COMPILED_BACKENDS = ("jax", "tensorflow")     # PyTorch keeps the separate calls


class SeparateCalls:
    """The reference: one compiled call per update or prediction, draws from the host's generator."""

    def __init__(self, method):
        self.method = method

    def update(self, trainer_name, x, y) -> dict:
        self.method.before_update(trainer_name)
        x, y = keras.tree.map_structure(keras.ops.convert_to_numpy, (x, y))     # host arrays, as the original's
        logs = self.method.trainers[trainer_name].train_on_batch(x, y, return_dict=True)
        return {k: float(v) for k, v in logs.items()}

    def infer(self, network, x, training=False):
        if training:
            return self.method.training_mode_predict(network, x)
        return network.predict_on_batch(x)

    def normal(self, rng, shape):
        return rng.standard_normal(shape).astype("float32")

    def indices(self, rng, count, choose):
        return np.asarray(choose(rng), "int32")

    def read(self, variable):
        return variable.value

    def assign(self, variable, value):
        variable.assign(value)


class _Planning:
    """A dry run of `train_step` that changes nothing: it builds each wrapper's losses and
    optimiser (what the first train_on_batch would), and records the draws an iteration makes
    (`plan`) and the variables it reads or assigns (`variables`)."""

    def __init__(self, method):
        self.method = method
        self.plan = []
        self.variables = []

    def update(self, trainer_name, x, y) -> dict:
        self.method.before_update(trainer_name)
        trainer = self.method.trainers[trainer_name]
        trainer._symbolic_build(data_batch=(x, y, None))    # as train_on_batch does first (Keras 3)
        if not trainer.optimizer.built:
            trainer.optimizer.build(trainer.trainable_variables)
        return _AnyLoss()

    def infer(self, network, x, training=False):
        return np.zeros(network.compute_output_shape(x.shape), "float32")

    def normal(self, rng, shape):
        self.plan.append(("normal", tuple(shape)))
        return np.zeros(shape, "float32")

    def indices(self, rng, count, choose):
        self.plan.append(("indices", choose))
        return np.zeros(count, "int32")

    def read(self, variable):
        self.variables.append(variable)
        return np.zeros(variable.shape, variable.dtype)

    def assign(self, variable, value):
        self.variables.append(variable)


class _AnyLoss(dict):
    def __missing__(self, key):
        return 0.0


class _TracedOps(abc.ABC):
    """The operations inside the compiled program: the draws are the program's inputs."""

    def __init__(self, method, draws):
        self.method = method
        self.draws = list(draws)

    @abc.abstractmethod
    def _get(self, variables):
        """The variables' current values inside the program (each backend's own way)."""

    def infer(self, network, x, training=False):
        out, _ = network.stateless_call(self._get(network.trainable_variables), self._get(network.non_trainable_variables),
                                        x, training=training)
        return out

    def normal(self, rng, shape):
        return self.draws.pop(0)

    def indices(self, rng, count, choose):
        return self.draws.pop(0)

    def read(self, variable):
        return self._get([variable])[0]


class _JaxOps(_TracedOps):
    """Stateless: every variable's value is looked up in, and written back to, `values`."""

    def __init__(self, method, draws, values):
        super().__init__(method, draws)
        self.values = values       # id(variable) -> value

    def _get(self, variables):
        return [self.values[id(v)] for v in variables]

    def _set(self, variables, new):
        for v, value in zip(variables, new):
            self.values[id(v)] = value

    def assign(self, variable, value):
        self._set([variable], [keras.ops.cast(value, variable.dtype)])

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

    def assign(self, variable, value):
        variable.assign(value)


class CompiledIteration:
    """One compiled program per iteration of `method.train_step`, per batch shape."""

    def __init__(self, method):
        self.method = method
        self.backend = keras.backend.backend()
        if self.backend not in COMPILED_BACKENDS:
            raise ValueError(f"engine=compiled runs on JAX or TensorFlow, not {self.backend}; use engine=separate")
        self.programs = {}         # batch signature -> (compiled function, draw plan)
        self._threaded = None      # JAX: the variables the last program threaded, in order
        self._held = None          # JAX: their values after the last iteration, until `sync`

    def step(self, batch, rng) -> dict:
        self._batch_type = type(batch)     # the method's Batch, rebuilt from the program's inputs
        arrays = {k: v for k, v in vars(batch).items() if v is not None}
        key = (tuple((k, v.shape) for k, v in sorted(arrays.items())), self.method.step_signature())
        if key not in self.programs:
            planning = _Planning(self.method)
            self._run_traced(planning, arrays)
            self.programs[key] = (self._compile(planning.variables), planning.plan)
        program, plan = self.programs[key]
        draws = [self._draw(rng, kind, argument) for kind, argument in plan]
        losses = program(arrays, draws)
        return {k: float(v) for k, v in losses.items()}

    def _draw(self, rng, kind, argument):
        """The reference's draw, made on the host in the same order."""
        if kind == "normal":
            return rng.standard_normal(argument).astype("float32")
        return np.asarray(argument(rng), "int32")

    # -- the compiled programs -------------------------------------------------------------------
    def _compile(self, read_or_assigned):
        return self._compile_jax(read_or_assigned) if self.backend == "jax" else self._compile_tensorflow()

    def _run_traced(self, ops, arrays):
        reference, self.method.ops = self.method.ops, ops
        try:
            return self.method.train_step(self._batch_type(**arrays), None)
        finally:
            self.method.ops = reference

    def _compile_jax(self, read_or_assigned):
        import jax

        method = self.method
        # every variable an iteration reads or writes, once: the method's state, the wrappers'
        # loss trackers, and its own per-step state
        variables = method.state_variables() + [v for t in method.trainers.values() for v in t.metrics_variables]
        variables = list({id(v): v for v in variables + read_or_assigned}.values())

        def iteration(values, arrays, draws):
            ops = _JaxOps(method, draws, {id(v): x for v, x in zip(variables, values)})
            losses = self._run_traced(ops, arrays)
            return [ops.values[id(v)] for v in variables], losses

        compiled = jax.jit(iteration, donate_argnums=0)     # the old values are replaced: update in place

        def run(arrays, draws):
            if self._threaded is not variables:              # another program's values: write them back first
                self.sync()
            values = self._held if self._held is not None else [v.value for v in variables]
            self._held, losses = compiled(values, arrays, draws)
            self._threaded = variables
            return losses

        return run

    def sync(self):
        """Write the values the JAX programs hold back into the Keras variables; call before
        anything else reads or changes them (validation, checkpoints, the end of an epoch)."""
        if self._held is not None:
            for v, value in zip(self._threaded, self._held):
                v.assign(value)
            self._held = None

    def _compile_tensorflow(self):
        import tensorflow as tf

        method = self.method

        @tf.function(jit_compile=bool(method.cfg.xla), autograph=False)   # the step's Python is static
        def iteration(arrays, draws):
            return self._run_traced(_TensorFlowOps(method, draws), arrays)

        return iteration


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
