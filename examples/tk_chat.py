"""A Tk chat window over the tool-use loop: replies stream, tools run and ask first, Stop aborts.

Run it::

    python examples/tk_chat.py                 # the built-in emulator, no key needed
    ANTHROPIC_API_KEY=sk-ant-… python examples/tk_chat.py   # the real API
    python examples/tk_chat.py --pace 5        # a slow emulator, to watch it stream (and Stop)
    python examples/tk_chat.py --scenario F03  # every answer fails mid-stream: see the error

Tick "use tools" and ask "What's the weather in Paris and Rome?": both lookups run at once,
the Tools pane shows each one running, then done with its duration and result, and the
answer streams after them. Ask "Delete the file drafts/old.txt": a dialog asks first; say
No and the model is told so.

Everything reactive is in `_chat_common.ChatSession`: one `Conversation` (the library's
tool-use loop) continued by each prompt, its views delivered on the Tk thread by a
`TkScheduler`. This file only draws: `TkChat` is the window, `ApprovalDialog` the question,
and `main` runs it (or, with ``--screenshot PATH``, plays a canned conversation and saves a
PNG of the window; that needs an X display, e.g. Xvfb, and Pillow).
"""

from __future__ import annotations

import os
import tkinter as tk
from collections.abc import Callable, Mapping, Sequence
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any

from _chat_common import (
    ChatSession,
    endpoint,
    parse_arguments,
    play_script,
)

import anthropic_rx as arx
from anthropic_rx.conversations import Tool
from anthropic_rx.schedulers import TkScheduler

__all__ = ["ApprovalDialog", "TkChat", "main"]

_USER_COLOUR = "#1d4ed8"
_CLAUDE_COLOUR = "#b45309"
_ERROR_COLOUR = "#b91c1c"


class ApprovalDialog:
    """A small modal window asking whether to run a tool call: Run or Don't run.

    It never blocks: the answer goes to *answer* when a button is pressed (or ``False`` when
    the window is closed). Tests press ``run_button`` or ``deny_button`` with ``invoke()``.
    """

    def __init__(
        self, parent: tk.Misc, title: str, question: str, answer: Callable[[bool], None]
    ) -> None:
        self._answer = answer
        self.window = window = tk.Toplevel(parent)
        window.title(title)
        window.transient(parent.winfo_toplevel())
        window.protocol("WM_DELETE_WINDOW", lambda: self._choose(False))
        frame = ttk.Frame(window, padding=12)
        frame.pack(fill="both", expand=True)
        self.question = ttk.Label(frame, text=question, justify="left")
        self.question.pack(anchor="w")
        buttons = ttk.Frame(frame)
        buttons.pack(anchor="e", pady=(12, 0))
        self.deny_button = ttk.Button(
            buttons, text="Don't run", command=lambda: self._choose(False)
        )
        self.deny_button.pack(side="right")
        self.run_button = ttk.Button(buttons, text="Run", command=lambda: self._choose(True))
        self.run_button.pack(side="right", padx=(0, 6))
        self.run_button.focus_set()

    def _choose(self, approved: bool) -> None:
        self.close()
        self._answer(approved)

    def close(self) -> None:
        """Take the dialog away (without answering)."""
        if self.window.winfo_exists():
            self.window.destroy()


class TkChat:
    """A chat window inside *parent*: transcript, tool pane, prompt, Send and Stop, status.

    Made on the Tk thread; it needs no ``mainloop()`` to be built, so tests drive it with
    ``root.update()``. The widgets are attributes, so tests can press buttons and read
    what is shown.

    Args:
        parent: the Tk root (or any widget) to fill.
        client: where requests go; the caller owns it and closes it.
        model: the model to ask.
        max_tokens: each turn's limit.
        request_options: more parameters of every request (see `ChatSession`).
        tools: the tools "use tools" offers (`_chat_common.demo_tools` by default).

    Attributes:
        approval_dialog: the open approval dialog, if any.

    Example:
        >>> root = tk.Tk()
        >>> with arx.Client() as client:
        ...     chat = TkChat(root, client, "claude-sonnet-4-5")
        ...     root.mainloop()
    """

    def __init__(
        self,
        parent: tk.Misc,
        client: arx.Client,
        model: str,
        *,
        max_tokens: int = 1024,
        request_options: Mapping[str, Any] | None = None,
        tools: Sequence[Tool] | None = None,
    ) -> None:
        self.parent = parent
        self.approval_dialog: ApprovalDialog | None = None
        self.scheduler = TkScheduler(parent)
        self.session = ChatSession(
            client,
            model,
            self.scheduler,
            self,
            max_tokens=max_tokens,
            request_options=request_options,
            tools=tools,
        )
        self._build(parent)
        # The conversation runs on its own (tools, approvals): end it with the window.
        self.frame.bind("<Destroy>", self._destroyed, add="+")
        self.busy_changed(False)
        self.status_changed(f"Ready · {model}")

    # -- layout ----------------------------------------------------------------------------

    def _build(self, parent: tk.Misc) -> None:
        base = tkfont.nametofont("TkDefaultFont", root=parent).actual()
        family, size = str(base["family"]), max(11, abs(int(base["size"])))
        text_font = (family, size)
        bold_font = (family, size, "bold")
        mono_font = (
            str(tkfont.nametofont("TkFixedFont", root=parent).actual()["family"]),
            size - 1,
        )

        self.frame = frame = ttk.Frame(parent, padding=8)
        frame.pack(fill="both", expand=True)
        frame.columnconfigure(0, weight=1)
        frame.rowconfigure(0, weight=1)

        panes = ttk.PanedWindow(frame, orient="horizontal")
        panes.grid(row=0, column=0, sticky="nsew")

        left = ttk.Labelframe(panes, text="Conversation", padding=4)
        self.transcript = tk.Text(
            left, wrap="word", font=text_font, width=56, height=20, relief="flat",
            padx=6, pady=6, state="disabled", takefocus=False,
        )  # fmt: skip
        scroll = ttk.Scrollbar(left, orient="vertical", command=self._scroll_transcript)
        self.transcript.configure(yscrollcommand=scroll.set)
        self.transcript.pack(side="left", fill="both", expand=True)
        scroll.pack(side="right", fill="y")
        self.transcript.tag_configure("you", foreground=_USER_COLOUR, font=bold_font)
        self.transcript.tag_configure("claude", foreground=_CLAUDE_COLOUR, font=bold_font)
        panes.add(left, weight=3)  # pyright: ignore[reportUnknownMemberType] (typeshed's **kw)

        right = ttk.Labelframe(panes, text="Tools", padding=4)
        self.tool_pane = tk.Text(
            right, wrap="word", font=mono_font, width=30, height=20, relief="flat",
            padx=6, pady=6, state="disabled", takefocus=False, background="#f7f7f2",
        )  # fmt: skip
        self.tool_pane.pack(fill="both", expand=True)
        panes.add(right, weight=2)  # pyright: ignore[reportUnknownMemberType]

        self.error_label = ttk.Label(
            frame, foreground=_ERROR_COLOUR, font=bold_font, wraplength=640, justify="left"
        )
        self.error_label.grid(row=1, column=0, sticky="ew", pady=(6, 0))
        self.error_label.grid_remove()  # shown only while there is an error

        bar = ttk.Frame(frame)
        bar.grid(row=2, column=0, sticky="ew", pady=(6, 0))
        bar.columnconfigure(0, weight=1)
        self.prompt = ttk.Entry(bar, font=text_font)
        self.prompt.grid(row=0, column=0, sticky="ew", padx=(0, 6))
        self.prompt.bind("<Return>", lambda _: self._send_clicked())
        self.use_tool = tk.BooleanVar(parent, value=False)  # not the default root: tests make many
        self.tool_check = ttk.Checkbutton(bar, text="use tools", variable=self.use_tool)
        self.tool_check.grid(row=0, column=1, padx=(0, 6))
        self.send_button = ttk.Button(bar, text="Send", command=self._send_clicked)
        self.send_button.grid(row=0, column=2, padx=(0, 6))
        self.stop_button = ttk.Button(bar, text="Stop", command=self.session.stop)
        self.stop_button.grid(row=0, column=3)

        self.status = ttk.Label(frame, foreground="#555555")
        self.status.grid(row=3, column=0, sticky="ew", pady=(6, 0))
        self.prompt.focus_set()

    def _scroll_transcript(self, *args: Any) -> None:
        self.transcript.yview(*args)  # pyright: ignore[reportUnknownMemberType]

    def _send_clicked(self) -> None:
        if self.session.send(self.prompt.get(), use_tool=self.use_tool.get()) is not None:
            self.prompt.delete(0, "end")

    def _destroyed(self, event: tk.Event[tk.Misc]) -> None:
        if event.widget is self.frame:
            self.session.close()

    def close(self) -> None:
        """Abort any run and stop the scheduler; call before destroying the window."""
        self.session.close()
        self.approval_closed()
        self.scheduler.dispose()

    # -- what is shown (for tests and the screenshot) ---------------------------------------

    def shown_reply(self) -> str:
        """The text of the last reply, as the transcript shows it."""
        if "reply" not in self.transcript.mark_names():
            return ""
        return self.transcript.get("reply", "end-1c")

    def shown_tool_input(self) -> str:
        """The tool pane's text."""
        return self.tool_pane.get("1.0", "end-1c")

    def shown_status(self) -> str:
        """The status line."""
        return str(self.status.cget("text"))

    def shown_error(self) -> str:
        """The error area's text ("" when there is no error)."""
        return str(self.error_label.cget("text"))

    # -- ChatView: called by the session, on the Tk thread ----------------------------------

    def reply_started(self, prompt: str) -> None:
        """Show the prompt, then an empty reply whose start the ``reply`` mark keeps."""
        text = self.transcript
        text.configure(state="normal")
        if text.index("end-1c") != "1.0":
            text.insert("end", "\n\n")
        text.insert("end", "You\n", "you")
        text.insert("end", prompt + "\n\n")
        text.insert("end", "Claude\n", "claude")
        text.mark_set("reply", "end-1c")
        text.mark_gravity("reply", "left")  # stays before the text appended after it
        text.configure(state="disabled")
        text.see("end")

    def reply_text(self, text: str) -> None:
        """Append a piece of the reply (one per frame at most)."""
        self.transcript.configure(state="normal")
        self.transcript.insert("end", text)
        self.transcript.configure(state="disabled")
        self.transcript.see("end")

    def tool_inputs_changed(self, text: str) -> None:
        """Show the tool calls: input so far, status, duration, result."""
        self.tool_pane.configure(state="normal")
        self.tool_pane.delete("1.0", "end")
        self.tool_pane.insert("1.0", text)
        self.tool_pane.configure(state="disabled")

    def approval_requested(self, title: str, question: str, answer: Callable[[bool], None]) -> None:
        """Open the approval dialog; the session asks one call at a time."""

        def answered(approved: bool) -> None:
            self.approval_dialog = None
            answer(approved)

        self.approval_dialog = ApprovalDialog(self.parent, title, question, answered)

    def approval_closed(self) -> None:
        """Take away the approval dialog (the run was stopped)."""
        if self.approval_dialog is not None:
            self.approval_dialog.close()
            self.approval_dialog = None

    def status_changed(self, text: str) -> None:
        """Replace the status line."""
        self.status.configure(text=text)

    def error_changed(self, text: str) -> None:
        """Show an error ("" hides the area)."""
        self.error_label.configure(text=text)
        if text:
            self.error_label.grid()
        else:
            self.error_label.grid_remove()

    def busy_changed(self, busy: bool) -> None:
        """Allow Stop while a reply streams, Send otherwise."""
        self.send_button.state(["disabled"] if busy else ["!disabled"])
        self.stop_button.state(["!disabled"] if busy else ["disabled"])


def _capture(root: tk.Tk, path: str) -> None:
    """Save a PNG of *root*'s window, read back from the X display (needs Pillow)."""
    from PIL import ImageGrab

    root.update()
    x, y = root.winfo_rootx(), root.winfo_rooty()
    box = (x, y, x + root.winfo_width(), y + root.winfo_height())
    ImageGrab.grab(bbox=box, xdisplay=os.environ.get("DISPLAY")).save(path)


def _play_script(root: tk.Tk, chat: TkChat, emulated: bool, path: str) -> None:
    """Play `SCREENSHOT_SCRIPT`, then save the window to *path* and quit."""

    def finish() -> None:
        _capture(root, path)
        chat.close()
        root.destroy()

    play_script(
        chat.session,
        emulated=emulated,
        later=lambda step: root.after(50, step),
        show_use_tool=chat.use_tool.set,
        finish=finish,
    )


def main(argv: list[str] | None = None) -> None:
    """Open the window on the emulator (or the real API when a key is set) and run it."""
    args = parse_arguments("A Tk chat window over anthropic_rx.", argv)
    with endpoint(pace=args.pace, scenario=args.scenario) as ep:
        root = tk.Tk()
        root.title(f"anthropic_rx · Tk chat · {ep.where}")
        root.geometry("900x520")
        if "clam" in ttk.Style(root).theme_names():
            ttk.Style(root).theme_use("clam")  # flatter than Tk's "default" theme on X11
        chat = TkChat(root, ep.client, args.model, max_tokens=args.max_tokens)

        def quit_window() -> None:
            chat.close()
            root.destroy()

        root.protocol("WM_DELETE_WINDOW", quit_window)
        if args.screenshot:
            _play_script(root, chat, ep.emulated, args.screenshot)
        try:
            root.mainloop()
        finally:
            chat.close()


if __name__ == "__main__":
    main()
