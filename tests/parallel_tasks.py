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


def press_ctrl_c(x: int, driver: int, at: int, arrived: str) -> int:
    """Task ``at`` sends SIGINT to the driver once the results of the tasks before it have
    arrived there (the driver makes a file for each in the folder ``arrived``) and then takes
    long; the others are quick."""
    time.sleep(0.3)
    if x == at:
        deadline = time.monotonic() + 120
        while not all(os.path.exists(os.path.join(arrived, str(i))) for i in range(at)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the results of tasks 0 to {at - 1} never arrived")
            time.sleep(0.02)
        os.kill(driver, signal.SIGINT)
        time.sleep(5.0)
    return x * x
