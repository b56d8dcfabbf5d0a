"""Values that fit a JSON schema, taken from the prompt where it offers them.

`fit` walks a schema (``$ref``/``$defs``, ``anyOf``/``oneOf``/``allOf``, ``enum``,
``const``, objects, arrays, strings, numbers, booleans, null) and returns a value valid for
it: every property present (required or not), nothing beyond the declared ones, enums,
bounds and lengths honoured. Where the prompt holds a fitting value, it is used: a proper
noun for a place- or name-like string field, a quoted string for a query-like one, a number
("5 days") for a number field, an enum value the prompt mentions, ``field: value`` written
out, or a value a tool result already gave under the same name. Anything else comes from
the seeded generator, so the same request always gets the same value.

>>> import random
>>> schema = {"type": "object", "properties": {"city": {"type": "string"},
...           "days": {"type": "integer"}}, "required": ["city", "days"]}
>>> fit(schema, random.Random(0), Prompt("Weather in Paris for 5 days?"))
{'city': 'Paris', 'days': 5}
"""

from __future__ import annotations

import ast
import math
import random
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, cast

from ._phrases import phrase
from ._wire import is_list

__all__ = ["Prompt", "fit", "is_slot", "name_parts"]

_PLACE = {
    "city", "location", "place", "country", "destination", "region", "town", "address",
    "origin", "where", "state", "area", "locale", "venue", "airport", "from", "to", "source",
    "target", "departure", "arrival", "capital",
}  # fmt: skip
_NAME = {
    "name", "person", "user", "username", "author", "who", "recipient", "contact", "owner",
    "customer", "company", "artist", "team", "player", "employee", "client", "organization",
    "guest", "patient", "passenger", "student", "speaker", "traveler", "traveller", "attendee",
    "member", "friend", "sender", "assignee", "manager", "brand", "product",
}  # fmt: skip
_QUERY = {
    "query", "q", "search", "term", "terms", "keyword", "keywords", "text", "prompt",
    "question", "topic", "subject", "message", "content", "body", "phrase", "input",
}  # fmt: skip
_EXPRESSION = {"expression", "expr", "formula", "equation", "calculation"}
_PLACES = ("Paris", "Tokyo", "Lisbon", "Nairobi", "Toronto", "Melbourne", "Oslo", "Lima")
_PEOPLE = ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Katherine Johnson", "Tim Peters")
_FROM = {"origin", "from", "source", "departure"}
_TO = {"destination", "to", "target", "arrival"}
_FUNCTION_WORDS = {
    "a", "an", "the", "i", "i'm", "i'd", "what", "what's", "whats", "when", "where", "which",
    "who", "whom", "whose", "why", "how", "is", "are", "was", "were", "be", "can", "could",
    "would", "should", "will", "shall", "do", "does", "did", "please", "tell", "show", "give",
    "get", "find", "search", "look", "check", "let", "me", "my", "we", "our", "you", "your",
    "it", "its", "this", "that", "these", "those", "there", "here", "and", "or", "but", "if",
    "then", "also", "for", "in", "on", "at", "to", "from", "of", "with", "about", "by", "hi",
    "hello", "hey", "thanks", "thank", "ok", "okay", "yes", "no", "not", "any", "some", "all",
    "each", "every", "today", "tomorrow", "yesterday", "now", "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday", "sunday", "use", "call", "run", "compute", "calculate",
    "weather", "time",
}  # fmt: skip
# Verbs that open a request ("Describe Paris"): capitalised, yet no proper noun.
_VERBS = {
    "describe", "explain", "list", "book", "order", "plan", "send", "create", "write", "make",
    "summarise", "summarize", "translate", "compare", "recommend", "suggest", "add", "remove",
    "schedule", "buy", "convert", "lookup", "fetch", "reserve", "cancel", "update", "delete",
    "open", "close", "start", "stop", "draft", "email", "remind", "set", "turn", "play", "read",
    "save", "share", "ask", "help", "try", "just", "maybe", "could", "weather", "forecast",
}  # fmt: skip
_COMMON = _FUNCTION_WORDS | _VERBS
_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_PREPOSITIONS = {"in", "at", "to", "from", "near", "for", "of", "around", "about", "by"}
_QUOTED = re.compile(r'"([^"\n]+)"|“([^”\n]+)”|(?<![\w])\'([^\'\n]{2,})\'(?![\w])')
_APOSTROPHES = "'\u2019"
_PROPER = re.compile(
    rf"[A-ZÀ-Þ][\w{_APOSTROPHES}.-]*"
    rf"(?:\s+(?:(?:de|da|del|van|von|la|le|of)\s+)?[A-ZÀ-Þ][\w{_APOSTROPHES}.-]*)*"
)
_NUMBER = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)(?![\w.])|\b(" + "|".join(_NUMBER_WORDS) + r")\b")
_EXPR = re.compile(r"[-(]*\d[\d\s.()]*(?:[-+*/^\u00d7\u00f7][\s(]*\d[\d\s.()]*)+")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\bhttps?://[^\s\"'<>]+")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def name_parts(name: str) -> list[str]:
    """Split ``get_weather`` / ``getWeather`` / ``max-results`` into lowercase words.

    >>> name_parts("getCurrentWeather")
    ['get', 'current', 'weather']
    """
    return [part.lower() for part in _CAMEL.findall(name)]


def is_slot(name: str, schema: Any) -> bool:
    """Whether property *name* is a string for a place, a name or a query (one per call)."""
    if not isinstance(schema, dict):
        return False
    kind = cast("dict[str, Any]", schema).get("type", "string")
    return kind == "string" and bool(set(name_parts(name)) & (_PLACE | _NAME | _QUERY))


def _stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


class Prompt:
    """The values a prompt offers: quoted strings, proper nouns, numbers, written-out fields.

    Args:
        text: the text values are taken from (a clause of the prompt, or all of it).
        fallback: a wider prompt to look in when *text* has no fitting value.
        known: values already known by field name (from tool results or earlier calls).
        avoid: words that are not values, such as the words of the tool's name.
    """

    def __init__(
        self,
        text: str,
        *,
        fallback: Prompt | None = None,
        known: Mapping[str, Any] | None = None,
        avoid: Iterable[str] = (),
    ) -> None:
        self.text = text
        self.fallback = fallback
        self.known = {key.lower(): value for key, value in (known or {}).items()}
        self.taken: set[str] = set()
        avoid_set = {word.lower() for word in avoid} | _COMMON
        self.quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]
        self.proper: list[tuple[str, str]] = []  # (the noun, the word before it)
        for match in _PROPER.finditer(text):
            words = match.group().rstrip(".").split()
            while words and words[0].lower().strip(_APOSTROPHES) in avoid_set:
                words.pop(0)
            if not words or (len(words) == 1 and len(words[0]) < 2):
                continue
            start = match.start() + match.group().find(words[0])
            before = text[:start].split()
            self.proper.append((" ".join(words), before[-1].lower() if before else ""))
        self.numbers: list[tuple[float, str]] = []  # (the number, the word after it)
        for match in _NUMBER.finditer(text):
            value = (
                float(match.group(1))
                if match.group(1)
                else float(_NUMBER_WORDS[match.group(2).lower()])
            )
            if not abs(value) < 1e15:
                continue  # too large to be meant as a count (and to convert safely)
            after = text[match.end() :].split()
            self.numbers.append((value, after[0].lower().strip(".,;:?!") if after else ""))

    def _chain(self) -> list[Prompt]:
        return [self] if self.fallback is None else [self, *self.fallback._chain()]

    def _free(self, value: str) -> bool:
        return all(value.lower() not in p.taken for p in self._chain())

    def _take(self, value: str) -> str:
        for prompt in self._chain():
            prompt.taken.add(value.lower())
        return value

    def explicit(self, name: str) -> str | None:
        """Return a value written out as ``name: value`` / ``name = value`` / ``name is value``."""
        spoken = re.escape(name).replace("_", "[ _]")
        pattern = rf"\b{spoken}\s*(?:=|:|\bis\b)\s*(\"[^\"]*\"|'[^']*'|[\w.@/+-]+)"
        for prompt in self._chain():
            for match in re.finditer(pattern, prompt.text, re.IGNORECASE):
                value = match.group(1).strip("\"'")
                if value and value.lower() not in _COMMON:
                    return value
        return None

    def known_value(self, name: str) -> Any:
        """Return the value already known under *name* (any case), or ``None``."""
        for prompt in self._chain():
            if name.lower() in prompt.known:
                return prompt.known[name.lower()]
        return None

    def quote(self) -> str | None:
        """Take the first quoted string not used yet."""
        for prompt in self._chain():
            for value in prompt.quoted:
                if self._free(value):
                    return self._take(value)
        return None

    def proper_noun(self, prefer: Iterable[str] = ()) -> str | None:
        """Take the first proper noun not used yet, preferring one after a word in *prefer*."""
        prefer = set(prefer)
        for prompt in self._chain():
            free = [(noun, before) for noun, before in prompt.proper if self._free(noun)]
            ranked = [n for n, b in free if b in prefer] + [n for n, b in free if b not in prefer]
            if ranked:
                return self._take(ranked[0])
        return None

    def proper_nouns(self) -> list[str]:
        """Return every proper noun of the nearest prompt that has any, once each."""
        for prompt in self._chain():
            nouns = [noun for noun, _ in prompt.proper]
            if nouns:
                return list(dict.fromkeys(nouns))
        return []

    def number(self, parts: list[str], *, integer: bool) -> float | None:
        """Take a number not used yet: one followed by a word of *parts* ("5 days"), else any."""
        stems = {_stem(part) for part in parts}
        for prompt in self._chain():
            usable = [(v, after) for v, after in prompt.numbers if not integer or v == int(v)]
            for value, after in usable:  # "5 days" for a field named days
                if _stem(after) in stems and self._free(f"#{value}"):
                    self._take(f"#{value}")
                    return value
        for prompt in self._chain():
            for value, _ in prompt.numbers:
                if (not integer or value == int(value)) and self._free(f"#{value}"):
                    self._take(f"#{value}")
                    return value
        return None

    def mentions(self, value: str) -> bool:
        """Tell whether the prompt mentions *value* as a word (any case, ``_`` as a space)."""
        spoken = re.escape(value).replace("_", "[ _]")
        return any(
            re.search(rf"(?<![\w]){spoken}(?![\w])", p.text, re.IGNORECASE) for p in self._chain()
        )

    def query(self) -> str:
        """Return what a search is about: a quoted string, the words after "for"/"about", or
        the clause without its opening request words."""
        quoted = self.quote()
        if quoted is not None:
            return quoted
        text = " ".join(self.text.split()).strip(" ?.!")
        match = re.search(r"\b(?:for|about|on|regarding)\s+(.+)$", text, re.IGNORECASE)
        if match:
            return match.group(1)
        words = text.split()
        while len(words) > 1 and words[0].lower() in _COMMON:
            words.pop(0)
        return " ".join(words) or text

    def expression(self) -> str | None:
        """Return the first arithmetic expression written in the prompt ("12 * (3 + 4)")."""
        for prompt in self._chain():
            match = _EXPR.search(prompt.text)
            if match:
                return " ".join(match.group().split())
        return None

    def pattern(self, regex: re.Pattern[str]) -> str | None:
        """Return the first match of *regex* in the prompt (a date, an email, a URL)."""
        for prompt in self._chain():
            match = regex.search(prompt.text)
            if match:
                return match.group()
        return None


def _resolve(given: Any, root: Mapping[str, Any]) -> Any:
    schema: Any = given
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        ref = str(cast("dict[str, Any]", schema)["$ref"])
        target: Any = root
        for part in ref.lstrip("#").strip("/").split("/") if ref != "#" else []:
            part = part.replace("~1", "/").replace("~0", "~")
            target = cast("dict[str, Any]", target).get(part) if isinstance(target, dict) else None
        rest = {k: v for k, v in cast("dict[str, Any]", schema).items() if k != "$ref"}
        merged: Any = (
            {**cast("dict[str, Any]", target), **rest} if isinstance(target, dict) else rest
        )
        schema = merged
        seen += 1
    return cast("Any", schema)


def _merge(schemas: list[Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in schemas:
        if not isinstance(part, dict):
            continue
        part = cast("dict[str, Any]", part)
        for key, value in part.items():
            if key == "properties" and isinstance(value, dict):
                merged["properties"] = {
                    **cast("dict[str, Any]", merged.get("properties") or {}),
                    **cast("dict[str, Any]", value),
                }
            elif key == "required" and isinstance(value, list):
                old = cast("list[str]", merged.get("required") or [])
                merged["required"] = old + [r for r in cast("list[str]", value) if r not in old]
            else:
                merged[key] = value
    return merged


_HINT = re.compile(
    r"\b(minimum|maximum|exclusiveMinimum|exclusiveMaximum|multipleOf|minLength|maxLength"
    r"|minItems|maxItems|uniqueItems|minProperties|format):\s*([-\w.]+)"
)


def _hinted(schema: dict[str, Any]) -> dict[str, Any]:
    """Take back the constraints the SDK moved into the description (``{minimum: 3}``).

    The official SDK's ``transform_schema`` strips keywords the API does not enforce and
    writes them into ``description`` for the model to read; the model honours them, so the
    emulator does too.
    """
    description = schema.get("description")
    if not isinstance(description, str) or ":" not in description:
        return schema
    hints: dict[str, Any] = {}
    for key, raw in _HINT.findall(description):
        if key in schema:
            continue
        if key == "format":
            hints[key] = raw
        elif key == "uniqueItems":
            hints[key] = raw.lower() == "true"
        else:
            try:
                number = float(raw)
            except ValueError:
                continue
            hints[key] = int(number) if number == int(number) else number
    at = description.find("prefixItems: [")
    if at >= 0 and "prefixItems" not in schema:  # written as a Python list of dicts
        start = at + len("prefixItems: ")
        depth = 0
        for end in range(start, len(description)):
            depth += {"[": 1, "]": -1}.get(description[end], 0)
            if depth == 0:
                try:
                    prefix: Any = ast.literal_eval(description[start : end + 1])
                except (ValueError, SyntaxError):
                    break
                if is_list(prefix):
                    hints["prefixItems"] = prefix
                break
    return {**schema, **hints} if hints else schema


def _first_not_null(schemas: list[Any]) -> Any:
    for schema in schemas:
        if not (isinstance(schema, dict) and cast("dict[str, Any]", schema).get("type") == "null"):
            return cast("Any", schema)
    return schemas[0]


def _kind(schema: Mapping[str, Any]) -> str:
    kind: Any = schema.get("type")
    if isinstance(kind, list):
        kinds = cast("list[str]", kind)
        kind = next((k for k in kinds if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "string"


def fit(
    schema: Any,
    rng: random.Random,
    prompt: Prompt,
    *,
    name: str = "",
    root: Mapping[str, Any] | None = None,
    depth: int = 0,
) -> Any:
    """Return a value valid for the JSON *schema*, taken from *prompt* where it can be.

    Args:
        schema: a JSON schema (draft 2020-12 subset the API accepts).
        rng: where values not found in the prompt come from.
        prompt: the values the prompt offers; values used are not used twice.
        name: the property name the value is for (it guides the choice).
        root: the schema ``$ref`` pointers resolve against (default: *schema*).
        depth: how deep in the schema this value is (deep optional parts are left out).
    """
    root = cast("Mapping[str, Any]", schema) if root is None and isinstance(schema, dict) else root
    root = root or {}
    schema = _resolve(schema, root)
    if not isinstance(schema, dict):
        return phrase(rng)
    schema = _hinted(cast("dict[str, Any]", schema))
    if schema.get("allOf"):
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        parts = [_resolve(s, root) for s in cast("list[Any]", schema["allOf"])]
        return fit(_merge([rest, *parts]), rng, prompt, name=name, root=root, depth=depth)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return _enum(cast("list[Any]", schema["enum"]), prompt, name)
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            options: list[Any] = [_resolve(s, root) for s in cast("list[Any]", schema[key])]
            chosen = _first_not_null(options)
            rest = {k: v for k, v in schema.items() if k != key}
            return fit(_merge([rest, chosen]), rng, prompt, name=name, root=root, depth=depth)
    kind = _kind(schema)
    if kind == "object":
        return _object(schema, rng, prompt, root, depth)
    if kind == "array":
        return _array(schema, rng, prompt, name, root, depth)
    if kind in ("integer", "number"):
        return _number(schema, rng, prompt, name, integer=kind == "integer")
    if kind == "boolean":
        return _boolean(prompt, name)
    if kind == "null":
        return None
    return _string(schema, rng, prompt, name)


def _enum(values: list[Any], prompt: Prompt, name: str) -> Any:
    written = prompt.explicit(name) if name else None
    for value in values:
        if isinstance(value, str) and written is not None and value.lower() == written.lower():
            return value
    for value in values:
        if isinstance(value, str) and prompt.mentions(value):
            return value
    return values[0]


def _object(
    schema: dict[str, Any], rng: random.Random, prompt: Prompt, root: Mapping[str, Any], depth: int
) -> dict[str, Any]:
    properties = cast("dict[str, Any]", schema.get("properties") or {})
    required = set(cast("list[str]", schema.get("required") or []))
    value: dict[str, Any] = {}
    for key, sub in properties.items():
        if depth >= 6 and key not in required:
            continue  # a recursive schema: stop growing
        value[key] = fit(sub, rng, prompt, name=key, root=root, depth=depth + 1)
    extra = schema.get("additionalProperties")
    wanted = int(schema.get("minProperties") or 0)
    i = 1
    while len(value) < wanted and extra is not False:
        more = cast("dict[str, Any]", extra) if isinstance(extra, dict) else {"type": "string"}
        value.setdefault(
            f"{phrase(rng, 1)}_{i}", fit(more, rng, prompt, root=root, depth=depth + 1)
        )
        i += 1
    return value


def _array(
    schema: dict[str, Any],
    rng: random.Random,
    prompt: Prompt,
    name: str,
    root: Mapping[str, Any],
    depth: int,
) -> list[Any]:
    low = int(schema.get("minItems") or 0)
    high_raw = schema.get("maxItems")
    high = int(high_raw) if high_raw is not None else max(low, 3)
    prefix = cast("list[Any]", schema.get("prefixItems") or [])
    items: Any = _resolve(schema.get("items", {}), root)
    values: list[Any] = [
        fit(sub, rng, prompt, name=name, root=root, depth=depth + 1) for sub in prefix[:high]
    ]
    if items is False or len(values) >= high:
        return values
    items = cast("dict[str, Any]", items) if isinstance(items, dict) else {}
    if items.get("enum"):  # the enum values the prompt mentions, else the first ones
        choices = cast("list[Any]", items["enum"])
        mentioned = [v for v in choices if isinstance(v, str) and prompt.mentions(v)]
        picked = values + (mentioned or choices[: max(1, low)])[: high - len(values)]
        i = 0
        while len(picked) < low and not schema.get("uniqueItems"):
            picked.append(choices[i % len(choices)])  # fewer values than items: repeat them
            i += 1
        return picked
    singular = name_parts(name)
    plain = items.get("type") == "string" and not set(items) - {"type", "title", "description"}
    if plain and ({_stem(p) for p in singular} & (_PLACE | _NAME)):
        nouns = prompt.proper_nouns()[: high - len(values)]
        values += nouns
    count = max(low, min(high, 2 if depth < 4 else low))
    unique = bool(schema.get("uniqueItems"))
    tries = 0
    while len(values) < count and tries < 50:
        value = fit(items, rng, prompt, name=_stem(name), root=root, depth=depth + 1)
        tries += 1
        if unique and value in values:
            continue
        values.append(value)
    return values


def _bounds(schema: Mapping[str, Any], integer: bool) -> tuple[float, float]:
    """The closed range a number may take (infinite where the schema sets no bound)."""
    step = 1 if integer else 0.1
    low: float = -math.inf
    high: float = math.inf
    if isinstance(schema.get("minimum"), int | float):
        low = float(schema["minimum"])
    if isinstance(schema.get("exclusiveMinimum"), int | float):
        low = max(low, float(schema["exclusiveMinimum"]) + step)
    if isinstance(schema.get("maximum"), int | float):
        high = float(schema["maximum"])
    if isinstance(schema.get("exclusiveMaximum"), int | float):
        high = min(high, float(schema["exclusiveMaximum"]) - step)
    if integer:
        low, high = (
            math.ceil(low) if low > -math.inf else low,
            (math.floor(high) if high < math.inf else high),
        )
    return low, max(low, high)


def _number(
    schema: dict[str, Any], rng: random.Random, prompt: Prompt, name: str, *, integer: bool
) -> int | float:
    lo, hi = _bounds(schema, integer)
    pick_lo = lo if lo > -math.inf else (hi - 99 if hi < math.inf else 1.0)
    pick_hi = max(pick_lo, hi if hi < math.inf else pick_lo + 99)
    found: float | None = None
    known = prompt.known_value(name) if name else None
    if isinstance(known, int | float) and not isinstance(known, bool):
        found = float(known)
    written = prompt.explicit(name) if name else None
    if found is None and written is not None:
        try:
            found = float(written)
        except ValueError:
            found = None
    if found is None:
        found = prompt.number(name_parts(name), integer=integer)
    if found is None:
        found = (
            rng.randint(int(pick_lo), int(pick_hi))
            if integer
            else round(rng.uniform(pick_lo, pick_hi), 1)
        )
    value = min(max(found, lo), hi)
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        value = round(value / step) * step
        if value < lo:
            value += step
        if value > hi:
            value -= step
    if integer:
        return round(value)
    return int(value) if value == int(value) and abs(value) < 2**53 else value


def _boolean(prompt: Prompt, name: str) -> bool:
    written = (prompt.explicit(name) or "").lower() if name else ""
    if written in ("true", "yes", "on", "1"):
        return True
    if written in ("false", "no", "off", "0"):
        return False
    spoken = " ".join(name_parts(name))
    negated = rf"\b(?:no|not|without|don't|do not)\s+{spoken}"
    return not (spoken and re.search(negated, prompt.text, re.IGNORECASE))


def _string(schema: dict[str, Any], rng: random.Random, prompt: Prompt, name: str) -> str:
    value = _string_value(schema, rng, prompt, name)
    low = int(schema.get("minLength") or 0)
    high = schema.get("maxLength")
    while len(value) < low:
        value = (value + " " + phrase(rng, 1)).strip()
    if high is not None:
        value = value[: int(high)]
    return value


def _string_value(schema: dict[str, Any], rng: random.Random, prompt: Prompt, name: str) -> str:
    known = prompt.known_value(name) if name else None
    if isinstance(known, str) and "format" not in schema:
        return known
    written = prompt.explicit(name) if name else None
    if written is not None and not isinstance(schema.get("format"), str):
        return written
    kind = schema.get("format")
    if kind == "date":
        return prompt.pattern(_DATE) or f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if kind == "date-time":
        day = prompt.pattern(_DATE) or f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        return f"{day}T{rng.randint(0, 23):02d}:{rng.choice((0, 15, 30, 45)):02d}:00Z"
    if kind == "time":
        return f"{rng.randint(0, 23):02d}:{rng.choice((0, 15, 30, 45)):02d}:00"
    if kind == "email":
        return prompt.pattern(_EMAIL) or f"{phrase(rng, 1)}@example.com"
    if kind in ("uri", "url"):
        return prompt.pattern(_URL) or f"https://example.com/{phrase(rng, 1)}"
    if kind == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    parts = set(name_parts(name))
    if parts & _EXPRESSION:
        return prompt.expression() or f"{rng.randint(2, 99)} * {rng.randint(2, 99)}"
    if parts & _PLACE:
        prefer = {"from"} if parts & _FROM else {"to"} if parts & _TO else _PREPOSITIONS
        noun = prompt.proper_noun(prefer)
        if noun is not None:
            return noun
    if parts & _NAME:
        noun = prompt.proper_noun()
        if noun is not None:
            return noun
    if parts & _PLACE:
        return rng.choice(_PLACES)
    if parts & _NAME:
        return rng.choice(_PEOPLE)
    if parts & _QUERY:
        return prompt.query()
    quoted = prompt.quote()
    if quoted is not None:
        return quoted
    return phrase(rng, rng.randint(1, 3))
