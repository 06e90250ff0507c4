"""A client that keeps writing through the proxy while a test does something else beside it (a
backfill, a validation, a paused target, bad input from another client). A thread repeats one
write until the with-block ends, counting the writes that succeeded and keeping every error, so
that the test can assert on both afterwards."""

import threading
import time


class LiveWriter:
    """Subclasses prepare their statements in __init__, after this one's (self.session is
    connected by then), and define write(): one write, raising on failure."""

    def __init__(self, proxy, pause: float = 0.0, threads: int = 1, **client_options):
        """pause: seconds between two writes of a thread; threads: how many write at once (on
        one session: write() must be safe to call from several); client_options go to
        proxy.connect()."""
        self.cluster, self.session = proxy.connect(**client_options)
        self.pause = pause
        self.writes, self.errors = 0, []
        self._count = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def write(self):
        raise NotImplementedError

    def _run(self):
        while not self._stop.is_set():
            try:
                self.write()
                with self._count:
                    self.writes += 1
            except Exception as e:  # the test asserts on them
                self.errors.append(repr(e))
            if self.pause:
                time.sleep(self.pause)

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._threads:
            t.join()
        self.cluster.shutdown()
