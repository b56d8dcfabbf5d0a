"""Bounded decompression whatever the chunk boundaries (a deflate body split after a byte)."""

from __future__ import annotations

import zlib

import pytest

from anthropic_rx.client._http import Inflate

BODY = b"event: ping\ndata: {}\n\n" * 200


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize("pack", [zlib.compress, _raw_deflate], ids=["zlib", "raw"])
@pytest.mark.parametrize("first", [0, 1, 2, 3])
def test_deflate_split_anywhere_in_its_header_inflates_whole(pack: object, first: int) -> None:
    data = pack(BODY)  # type: ignore[operator]
    inflate = Inflate("deflate")
    out = b"".join(
        b"".join(inflate(chunk))
        for chunk in (data[:first], data[first : first + 1], data[first + 1 :])
    )
    assert out == BODY
