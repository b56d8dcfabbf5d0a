"""The emulator's thinking reads like reasoning about the question, not filler prose."""

from __future__ import annotations

import json
import random
from typing import Any

from anthropic_rx.emulator._generate import generate
from anthropic_rx.emulator._phrases import reasoning

QUESTION = "Is 1,001 a prime number? Think it through, then answer in one sentence."


def thinking_of(question: str, **changes: Any) -> str:
    body: dict[str, Any] = {
        "model": "claude-emulated",
        "max_tokens": 2048,
        "stream": True,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": question}],
        **changes,
    }
    answer = generate(body, seed=0, options={"thinking_tokens": 80}, padding=False)
    text = ""
    for event in answer.events:
        if b'"thinking_delta"' in event.raw:
            data = json.loads(event.raw.split(b"data: ", 1)[1])
            text += data["delta"]["thinking"]
    return text


def test_thinking_restates_the_questions_first_sentence_then_reasons() -> None:
    text = thinking_of(QUESTION)
    assert "Is 1,001 a prime number?" in text
    assert "Think it through" not in text  # only the question, not the instructions
    assert any(w in text for w in ("Let me", "I should", "check", "verify"))


def test_given_room_the_thinking_ends_on_deciding_to_answer() -> None:
    for seed in range(20):
        text = reasoning(random.Random(seed), 200, "Why is the sky blue?")
        assert text.endswith((".", "now.", "answer.", "clearly."))
        assert "answer" in text.split(".")[-2]


def test_a_small_budget_cuts_it_at_a_word() -> None:
    assert len(reasoning(random.Random(0), 7, QUESTION).split()) == 7


def test_it_is_deterministic_for_a_seed() -> None:
    assert thinking_of(QUESTION) == thinking_of(QUESTION)
