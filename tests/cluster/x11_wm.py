"""What a window manager does to a render node's window, done from a test on an Xvfb that has none (python-xlib):
find a window by title, ask it to close (``WM_DELETE_WINDOW``, what a close button sends) and minimise / restore
it (unmap + ``WM_STATE`` ``IconicState``, then map + ``NormalState``: ICCCM 4.1.4, the state glfw reads for
``GLFW_ICONIFIED``)."""

from __future__ import annotations

import time

from Xlib import X, Xatom, display
from Xlib.protocol import event

ICONIC_STATE, NORMAL_STATE = 3, 1


class WindowManager:
    def __init__(self, display_name: str) -> None:
        self.display = display.Display(display_name)
        self.wm_state = self.display.intern_atom("WM_STATE")

    def find(self, title: str, timeout_s: float = 30.0):
        """The top-level window named ``title``; AssertionError when none appears in time."""
        deadline = time.monotonic() + timeout_s
        while True:
            for window in self.display.screen().root.query_tree().children:
                name = window.get_full_property(Xatom.WM_NAME, X.AnyPropertyType)
                if name is not None and name.value in (title, title.encode()):
                    return window
            if time.monotonic() > deadline:
                raise AssertionError(f"no window {title!r} on the display")
            time.sleep(0.1)

    def _set_state(self, window, state: int) -> None:
        window.change_property(self.wm_state, self.wm_state, 32, [state, X.NONE])

    def minimise(self, window) -> None:
        window.unmap()
        self._set_state(window, ICONIC_STATE)
        self.display.sync()

    def restore(self, window) -> None:
        self._set_state(window, NORMAL_STATE)
        window.map()
        self.display.sync()

    def close(self, window) -> None:
        """Ask the window's client to close it, as a window manager's close button does."""
        protocols = self.display.intern_atom("WM_PROTOCOLS")
        delete = self.display.intern_atom("WM_DELETE_WINDOW")
        message = event.ClientMessage(window=window, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
        window.send_event(message, event_mask=X.NoEventMask)
        self.display.sync()

    def disconnect(self) -> None:
        self.display.close()
