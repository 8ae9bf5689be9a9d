"""Progress callbacks, cancellation (callback and Ctrl-C), the GIL released during fit."""

import os
import signal
import threading
import time

import pytest

import tabveil
from tabveil.errors import FitCancelled

from conftest import make_frame


def private(callback=None, epochs=4):
    return tabveil.Synthesizer(
        "ctgan", epsilon=3.0, delta=1e-5, epochs=epochs, batch_size=100, seed=0,
        progress=False, callback=callback,
    )


def test_callback_sees_preprocessing_and_epochs(schema):
    events = []
    private(events.append, epochs=2).fit(make_frame(600), schema=schema)
    pre = [e for e in events if e["event"] == "preprocessing"]
    # The fitted columns, in order, up to all of them.
    done = [e["done"] for e in pre]
    assert pre and done == sorted(set(done)) and done[-1] == pre[-1]["total"] == len(schema)
    assert all(e["column"] in schema.names for e in pre)
    epochs = [e for e in events if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert all(0 < e["epsilon"] <= 3.0 for e in epochs)
    assert epochs[0]["epsilon"] < epochs[1]["epsilon"]


def test_callback_cancels_and_the_releases_come_back(schema):
    def stop_after_first_epoch(event):
        return not (event["event"] == "epoch" and event["epoch"] == 1)

    with pytest.raises(FitCancelled) as e:
        private(stop_after_first_epoch).fit(make_frame(600), schema=schema)
    err = e.value
    assert isinstance(err, KeyboardInterrupt)
    assert err.ledger and 0 < err.epsilon_spent < 3.0
    # The model as it stood is usable, and its ledger is the one in the exception.
    assert err.synthesizer.ledger == err.ledger
    assert err.synthesizer.sample(5).shape == (5, 8)


def test_cancelling_during_preprocessing_returns_the_releases(schema):
    def stop_before_the_last_column(event):
        return not (event["event"] == "preprocessing" and event["done"] == event["total"] - 1)

    with pytest.raises(FitCancelled) as e:
        private(stop_before_the_last_column).fit(make_frame(600), schema=schema)
    assert e.value.ledger  # the noisy counts released before the cancellation
    assert e.value.synthesizer is None


def test_ctrl_c_cancels_a_fit_cleanly(schema):
    def interrupt(event):
        if event["event"] == "epoch" and event["epoch"] == 1:
            os.kill(os.getpid(), signal.SIGINT)

    # A process started in the background by a non-interactive shell (as CI scripts are)
    # inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler: put the
    # interactive default in place for this test, as a terminal's Ctrl-C would find it.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(FitCancelled) as e:
            private(interrupt, epochs=50).fit(make_frame(600), schema=schema)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert isinstance(e.value.__cause__, KeyboardInterrupt)
    assert e.value.synthesizer.summary["stop"] == "cancelled"
    assert e.value.synthesizer.summary["epochs"] <= 2


def test_the_gil_is_released_while_fitting(schema):
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    t = threading.Thread(target=ticker)
    synth = tabveil.Synthesizer("ctgan", non_private=True, epochs=3, batch_size=100,
                                progress=False)
    t.start()
    start = time.perf_counter()
    synth.fit(make_frame(600), schema=schema)
    elapsed = time.perf_counter() - start
    done.set()
    t.join()
    during = [x for x in ticks if start <= x <= start + elapsed]
    # A thread holding the GIL for the whole fit would leave no ticks at all in between (the
    # ticker wakes every 5 ms; the fit takes about 0.2 s or more).
    assert len(during) >= 10, (elapsed, len(during))


def test_a_tqdm_bar_is_drawn_when_wanted(schema, capsys):
    pytest.importorskip("tqdm")
    synth = tabveil.Synthesizer("tvae", non_private=True, epochs=2, batch_size=100,
                                progress=True)
    synth.fit(make_frame(200), schema=schema)
    assert "epoch" in capsys.readouterr().err
