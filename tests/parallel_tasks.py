"""Tasks for tests/test_parallel.py: module level, so that worker processes can import them."""
import os
import signal
import time


def square(x: int) -> int:
    return x * x


def fail(x: int) -> int:
    if x == 2:
        raise ValueError(f"task {x} fails")
    return x


def press_ctrl_c(x: int, driver: int, at: int) -> int:
    """Task ``at`` sends SIGINT to the driver and then takes long; the others are quick."""
    time.sleep(0.3)
    if x == at:
        time.sleep(1.0)           # the results before this one have arrived by now
        os.kill(driver, signal.SIGINT)
        time.sleep(5.0)
    return x * x
