"""help(TkScheduler.__init__) says how to make one, not only "See help(type(self))"."""

from __future__ import annotations

import pytest

from anthropic_rx.schedulers import GuiScheduler, QtScheduler, TkScheduler


@pytest.mark.parametrize("cls", [TkScheduler, QtScheduler, GuiScheduler])
def test_each_scheduler_constructor_has_its_own_docstring(cls: type[GuiScheduler]) -> None:
    doc = cls.__init__.__doc__ or ""
    assert "help(type(self))" not in doc and len(doc) > 40


@pytest.mark.parametrize("cls", [TkScheduler, QtScheduler])
def test_the_constructors_docstring_lists_its_arguments_and_errors(
    cls: type[GuiScheduler],
) -> None:
    doc = cls.__init__.__doc__ or ""
    assert "Args:" in doc and "Raises:" in doc and ">>> sched = " in doc
