"""One run: a method on a labelled fraction of one split (and seed, and configuration variant),
from an empty or interrupted folder to its evaluated result.json. Resumable at every epoch; a
folder that holds this run finished is never trained again.
"""
from __future__ import annotations

import datetime
import logging
import os
from dataclasses import asdict

from sdnet.config import SDNetConfig, parse_modality_fractions
from sdnet.data.training_data import load_training_data
from sdnet.io import atomic_write
from sdnet.training.folder import RunFolder
from sdnet.training.lock import RunLock
from sdnet.training.loop import EpochLoop
from sdnet.training.spec import RunSpec

log = logging.getLogger("sdnet")


def seed_everything(seed, deterministic=True):
    """Keras, numpy and Python seeds. On TensorFlow, deterministic ops (reruns and resumed runs
    bit-identical) or not: Keras compiles nothing with XLA while they are on, so a run that
    asks for XLA (`cfg.xla`, the paper preset) gives them up."""
    import keras

    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        from tensorflow.python.framework import config as tf_config   # no public switch back

        tf.config.experimental.enable_op_determinism() if deterministic else tf_config.disable_op_determinism()


def describe_run(spec: RunSpec, cfg: SDNetConfig, loader) -> dict:
    """What run.json records: enough to rebuild the trained networks for inference without the
    training data, and to tell this run from any other."""
    import keras

    import sdnet

    return {"spec": asdict(spec), "config": cfg.to_dict(), "dataset": loader.describe(),
            "versions": {"sdnet": sdnet.__version__, "keras": keras.__version__},
            "backend": keras.backend.backend(),
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


class Run:
    """Trains, checkpoints, resumes and evaluates one RunSpec in `folder`."""

    def __init__(self, spec: RunSpec, cfg: SDNetConfig, loader, folder, image_every=0, force=False,
                 image_writer=None):
        if (cfg.seed, cfg.num_masks) != (spec.seed, loader.num_masks):
            raise ValueError(f"{spec.name}: the configuration has seed {cfg.seed} and {cfg.num_masks} structures, "
                             f"the run seed {spec.seed} and data of {loader.num_masks}; build it with "
                             "sdnet.experiments.runner.run_configuration, which sets both")
        self.spec, self.cfg, self.loader = spec, cfg, loader
        self.folder, self.image_every, self.force = RunFolder(folder), image_every, force
        self.image_writer = image_writer       # see EpochLoop

    def execute(self, stop_after_epochs=None):
        """Train (or resume) and evaluate; returns the result dict. `stop_after_epochs` ends this
        call's work after that many epochs, as an interruption would (returns None; the next call
        resumes). Another live
        process training the same run: RunLocked."""
        description = describe_run(self.spec, self.cfg, self.loader)
        finished = self.folder.finished_result(description)
        if finished is not None:
            return finished
        with RunLock(self.folder.path):
            self.folder.claim(description, self.force)
            try:
                return self._train(stop_after_epochs)
            except Exception as err:
                self.folder.record_error(err)
                raise

    def _train(self, stop_after_epochs):
        from sdnet.methods import build_method

        seed_everything(self.cfg.seed, deterministic=not self.cfg.xla)
        method = build_method(self.spec.method, self.cfg)
        data = training_data(self.loader, self.spec, self.cfg, method)
        trainer = EpochLoop(method, data, self.cfg, self.folder, self.loader.structures, self.spec.name,
                          self.image_every, self.image_writer)
        state = trainer.fit(stop_after_epochs)
        if state is None:
            return None
        return self._finish(method, data, state)

    def _finish(self, method, data, state):
        """Evaluate the last and the best epoch's weights on the test set; write result.json."""
        from sdnet import hardware
        from sdnet.evaluation import evaluate, summarise

        last = self.folder.weights_dir("last")
        method.save_weights(last)
        evaluations = {"last": evaluate(method, data.test, self.loader.structures)}
        factors = method.factor_statistics(data.test)          # of the last weights, as the test scores
        if state.get("best_epoch") == state["epochs_trained"] - 1:
            evaluations["best"] = evaluations["last"]          # the last epoch was the best: the same weights
        elif os.path.exists(self.folder.file("best")):
            method.load_weights(self.folder.file("best"))
            evaluations["best"] = evaluate(method, data.test, self.loader.structures)
        for weights, by_protocol in evaluations.items():
            write_scores(by_protocol, self.folder.file(f"test_scores_{weights}.csv"))
        result = {"spec": asdict(self.spec), "structures": list(self.loader.structures),
                  "phase": self.loader.phase or "all", "factors": factors,
                  "epochs_trained": state["epochs_trained"], "best_val_dice": state["best_val"],
                  "test_weights": self.cfg.test_weights, "wall_s": state["wall_s"],
                  "optimizer_iterations": method.optimizer_iterations(), "hardware": hardware.describe(),
                  "notes": data.notes, "labelled_images": data.labelled.size(),
                  "labelled_subjects": data.labelled.subjects(),
                  "unlabelled_images": 0 if data.unlabelled is None else data.unlabelled.size(),
                  "summary_by_weights": {w: {p: summarise(rows) for p, rows in by_protocol.items()}
                                         for w, by_protocol in evaluations.items()},
                  "volumes_by_weights": evaluations}
        self.folder.write_result(result)
        if os.path.exists(self.folder.checkpoint_path):
            os.remove(self.folder.checkpoint_path)     # last/ and best/ keep the weights
        return result


def training_data(loader, spec, cfg, method):
    """The run's TrainingData: its labelled subset, unlabelled pool, D_M's masks and the
    validation and test sets, drawn as training draws them."""
    return load_training_data(loader, spec.split, spec.fraction, seed=cfg.seed, max_unlabelled=cfg.max_unlabelled,
                              use_unlabelled=method.uses_unlabelled_pool, discriminator_masks=cfg.discriminator_masks,
                              modality_fractions=parse_modality_fractions(cfg.modality_fractions),
                              all_images=cfg.batchnorm_statistics == "recomputed" and cfg.batchnorm_images == "split",
                              labelled_choice=cfg.labelled_choice)


def write_scores(by_protocol, path):
    """Per-volume scores, one CSV row per protocol and test volume (a patient in the original
    protocol, a 3-D frame in the standard one)."""
    import csv

    names = list(dict.fromkeys(k for rows in by_protocol.values() for k in rows[0]["scores"]))
    with atomic_write(path) as f:
        writer = csv.writer(f)
        writer.writerow(["protocol", "volume"] + names)
        for protocol, rows in by_protocol.items():
            for r in rows:
                writer.writerow([protocol, r["volume"]] + [f"{r['scores'][k]:.6f}" if k in r["scores"] else ""
                                                           for k in names])
