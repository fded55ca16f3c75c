"""Keras 2's EarlyStopping, as the original executors used it, with a state for checkpoints."""


class EarlyStopping:
    """On a loss to minimise: improvement means current < best - min_delta; stop after
    `patience` epochs without one."""

    def __init__(self, patience, min_delta):
        self.patience, self.min_delta = patience, min_delta
        self.best, self.wait = float("inf"), 0

    def update(self, value) -> tuple[bool, bool]:
        """(improved, stop)."""
        if value < self.best - self.min_delta:
            self.best, self.wait = value, 0
            return True, False
        self.wait += 1
        return False, self.wait >= self.patience

    def state(self):
        return {"best": self.best, "wait": self.wait}

    def load_state(self, state):
        self.best, self.wait = float(state["best"]), int(state["wait"])
