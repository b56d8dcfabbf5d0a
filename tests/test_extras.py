"""The optional extras install what their features need (pyproject.toml)."""

from __future__ import annotations

import re
import tomllib

import pytest

from .conftest import ROOT

EXTRAS: dict[str, list[str]] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
    "optional-dependencies"
]


def names(extra: str) -> set[str]:
    return {
        re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower()
        for requirement in EXTRAS[extra]
    }


def test_the_notebook_extra_brings_a_kernel_with_the_views_and_plots() -> None:
    # Without ipykernel a fresh environment has no "python3" kernel: NoSuchKernel.
    assert {"ipykernel", "ipywidgets", "matplotlib", "uvicorn"} <= names("notebook")


def test_the_demo_and_emulator_extras_bring_their_server() -> None:
    assert "uvicorn" in names("emulator")
    assert {"uvicorn", "rich"} <= names("demo")


def test_the_test_extra_holds_every_other_extra_the_tests_use() -> None:
    for extra in ("notebook", "emulator", "demo", "qt"):
        assert names(extra) <= names("test"), extra


def test_the_python3_kernel_the_notebooks_name_is_installed() -> None:
    kernelspec = pytest.importorskip("jupyter_client.kernelspec")
    assert "python3" in kernelspec.KernelSpecManager().find_kernel_specs()
