"""Plausible English from a small built-in phrase bank: no model, no download, seeded.

Answers read like a polite assistant's prose rather than lorem ipsum, so a demo or a
notebook looks right, while every word still comes from one seeded generator.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from ._wire import is_list

__all__ = [
    "ToolOutcome",
    "answer_from_results",
    "phrase",
    "reasoning",
    "sentences",
    "summarise",
]

_SENTENCES = (
    "That is a good question, and there are a few things worth keeping in mind.",
    "The short answer is that it depends on what you need it for.",
    "Let me walk you through the main points one at a time.",
    "First, it helps to look at the problem from the user's point of view.",
    "Most people find that a small, simple step works better than a big change.",
    "In practice, the details matter more than the general idea.",
    "There is usually more than one reasonable way to approach this.",
    "A good place to start is with what you already know works.",
    "It is worth checking the assumptions before going further.",
    "The results tend to be better when the goal is clear from the start.",
    "You can always come back and refine the answer later.",
    "Here is a quick summary of what I would suggest.",
    "Keep in mind that the numbers can change over time.",
    "One common mistake is trying to do everything at once.",
    "If you share a bit more context, I can give a more specific answer.",
    "The trade-off is between speed and accuracy.",
    "Many teams solve this with a short checklist.",
    "It also helps to write down what you expect to happen.",
    "That way, surprises are easier to spot early.",
    "I hope this gives you a useful starting point.",
    "Overall, the approach is sound and easy to adjust.",
    "The key idea is to keep each part small and easy to test.",
    "This works well for most everyday cases.",
    "For unusual cases, a closer look is a good idea.",
    "Let me know if you would like an example.",
)

_WORDS = (
    "river", "garden", "morning", "lantern", "harbor", "orchard", "meadow", "summit", "library",
    "market", "bridge", "window", "journey", "signal", "compass", "island", "valley", "forest",
    "beacon", "canvas",
)  # fmt: skip

_OPENINGS = (
    "Here's what I found.",
    "I checked that for you.",
    "Thanks for waiting: I have the results.",
    "I looked that up.",
)
_OK = (
    "The {tool} tool{about} returned {summary}.",
    "According to {tool}{about}, the result is {summary}.",
    "A call to {tool}{about} came back with {summary}.",
)
_FAILED = (
    "Unfortunately, the {tool} call{about} failed: {summary}.",
    "I tried {tool}{about}, but it failed with an error: {summary}.",
)
_CLOSINGS = (
    "Let me know if you'd like more detail.",
    "Is there anything else you'd like me to look up?",
    "I hope that helps.",
)
_AFTER_FAILURE = (
    "You may want to check the input and try again.",
    "I can try again, perhaps with different input, if you like.",
)


def sentences(rng: random.Random, count: int) -> str:
    """Return about *count* words of plausible English prose, cut at a word."""
    words: list[str] = []
    last = -1
    while len(words) < count:
        pick = rng.randrange(len(_SENTENCES))
        if pick == last:
            pick = (pick + 1) % len(_SENTENCES)
        last = pick
        words.extend(_SENTENCES[pick].split())
    return " ".join(words[:count])


def phrase(rng: random.Random, words: int = 2) -> str:
    """Return a short lowercase noun phrase such as ``"harbor lantern"``."""
    return " ".join(rng.choice(_WORDS) for _ in range(max(1, words)))


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    stop = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if stop > limit // 2:
        return cut[: stop + 1]
    return cut[: cut.rfind(" ")].rstrip(",;:") + "…" if " " in cut else cut + "…"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return _short(value, 60)
    if isinstance(value, int | float):
        return str(value)
    return _short(json.dumps(value, ensure_ascii=False), 60)


def summarise(content: str) -> str:
    """Summarise a tool's result text: a JSON object as ``key value`` pairs, else its start.

    >>> summarise('{"temperature": 18, "conditions": "sunny"}')
    'temperature 18, conditions sunny'
    """
    stripped = content.strip()
    try:
        value: Any = json.loads(stripped) if stripped[:1] in "{[" and stripped else None
    except ValueError:
        value = None
    if isinstance(value, dict):
        pairs = list(cast("dict[str, Any]", value).items())[:5]
        if pairs:
            return ", ".join(f"{key.replace('_', ' ')} {_scalar(item)}" for key, item in pairs)
        return "an empty result"
    if is_list(value):
        items = value
        shown = ", ".join(_scalar(item) for item in items[:3])
        more = f" and {len(items) - 3} more" if len(items) > 3 else ""
        return f"{len(items)} item{'s' if len(items) != 1 else ''}" + (
            f": {shown}{more}" if items else ""
        )
    if not stripped:
        return "nothing"
    return '"' + _short(stripped).rstrip(".") + '"'


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """One tool result being answered: which tool, with what input, what came back."""

    name: str
    input: Mapping[str, Any]
    content: str
    is_error: bool


def _about(tool_input: Mapping[str, Any]) -> str:
    for value in tool_input.values():
        if isinstance(value, str) and value and len(value) <= 40:
            return f" for {value}"
    return ""


def answer_from_results(rng: random.Random, outcomes: Sequence[ToolOutcome]) -> str:
    """Write a short answer that reports each tool result, and each failure as a failure."""
    parts = [rng.choice(_OPENINGS)]
    for outcome in outcomes:
        template = rng.choice(_FAILED if outcome.is_error else _OK)
        summary = summarise(outcome.content)
        if outcome.is_error and summary.startswith('"') and summary.endswith('"'):
            summary = summary[1:-1]
        parts.append(
            template.format(
                tool=outcome.name,
                about=_about(outcome.input),
                summary=summary,
            )
        )
    failed = any(outcome.is_error for outcome in outcomes)
    parts.append(rng.choice(_AFTER_FAILURE if failed else _CLOSINGS))
    return re.sub(r"\.\.+$", ".", " ".join(parts))


_FRAMING = (
    "Let me think about what is really being asked here.",
    "First, I should work out which facts I actually need.",
    "Let me start by restating the problem in my own words.",
)
_REASONING = (
    "One way to check this is to try a small case by hand.",
    "That seems right, but I should double-check the edge cases.",
    "Wait, that assumes something I have not verified yet.",
    "If that holds, the rest follows fairly directly.",
    "Let me compare the two most likely readings of the question.",
    "The simpler reading is probably the intended one.",
    "I could be wrong about this step, so let me verify it.",
    "Breaking it into smaller parts makes it easier to check.",
    "So far the pieces fit together without a contradiction.",
    "Now I need to decide how much detail the answer needs.",
    "A short, direct answer with one example should be enough.",
)
_REASONING_OPENINGS = (
    "The user is asking: {question}",
    "The question is: {question}",
    "So the user wants to know: {question}",
)
_REASONING_CLOSINGS = (
    "Okay, I am confident enough to answer now.",
    "That settles it; time to write the answer.",
    "Good, I can answer that clearly.",
)


def reasoning(rng: random.Random, count: int, question: str = "") -> str:
    """Return about *count* words of thinking that reads like reasoning about *question*.

    It restates the question's first sentence, frames the problem, works through a few
    checks, and ends on a decision to answer; cut at a word when *count* is small, as a
    thinking budget cuts it.

    >>> reasoning(random.Random(1), 16, "Is 91 prime? Answer briefly.")
    'The user is asking: Is 91 prime? Let me start by restating the problem in my'
    """
    parts: list[str] = []
    first = re.match(r"\s*[^.?!]*[.?!]?", question)
    if first and first.group().strip():
        parts.append(rng.choice(_REASONING_OPENINGS).format(question=first.group().strip()))
    parts.append(rng.choice(_FRAMING))
    closing = rng.choice(_REASONING_CLOSINGS)
    words = sum(len(p.split()) for p in parts) + len(closing.split())
    for step in rng.sample(_REASONING, len(_REASONING)):
        if words + len(step.split()) > count:
            break
        parts.append(step)
        words += len(step.split())
    parts.append(closing)
    return " ".join(" ".join(parts).split()[: max(1, count)])
