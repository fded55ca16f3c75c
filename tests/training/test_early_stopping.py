"""Keras 2's early stopping rule, and its state across a resume."""
from sdnet.training.early_stopping import EarlyStopping


def test_stops_after_patience_epochs_without_an_improvement_of_min_delta():
    stopper = EarlyStopping(patience=2, min_delta=0.01)
    assert stopper.update(0.5) == (True, False)
    assert stopper.update(0.495) == (False, False)     # better, but by less than min_delta
    assert stopper.update(0.48) == (True, False)       # 0.48 < 0.5 - 0.01: the wait restarts
    assert stopper.update(0.475) == (False, False)
    assert stopper.update(0.49) == (False, True)


def test_state_round_trip():
    stopper = EarlyStopping(patience=3, min_delta=0.0)
    stopper.update(0.4)
    stopper.update(0.5)
    again = EarlyStopping(patience=3, min_delta=0.0)
    again.load_state(stopper.state())
    assert (again.best, again.wait) == (0.4, 1)
