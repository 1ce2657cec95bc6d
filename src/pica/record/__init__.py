"""The recorder (``pica record``, extra ``pica[device]``): drives an app on a real device or
emulator through a consent scenario and writes a runtime trace (docs: the trace format).

- ``hooks``: the Frida script, generated from the knowledge base's sensitive-API table.
- ``scenario``: what to do next, as pure functions over uiautomator XML dumps.
- ``trace``: the trace writer (``trace.jsonl`` and ``ui-NNN.xml``).
- ``device``: uiautomator2 and Frida, imported only when a recording starts.
- ``cli``: ``record_command``, registered on the main app as ``pica record``.

Nothing here imports uiautomator2 or frida at import time, and this package imports none of its
modules itself: ``pica --help`` registers ``pica record`` without loading the recorder.
"""
