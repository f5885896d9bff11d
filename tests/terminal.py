"""Child processes that take Ctrl-C as they would in a terminal."""
import signal


def default_sigint() -> None:
    """For ``Popen(preexec_fn=...)``: SIGINT back to its default action in the child.

    A background job of a non-interactive shell starts with SIGINT ignored, and its children
    inherit that; Python then never turns SIGINT into KeyboardInterrupt. Tests that press
    Ctrl-C must not depend on how the test run itself was started.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
