"""The sandbox an office's Word template runs in: plain data in, nothing else reachable.

An office edits its own Word templates (see `documents.word_template`), so their fields are code
written by someone who must not gain more than the document. Jinja's own `SandboxedEnvironment`
only hides names that begin with `_`; any public attribute of any object in the context stays
reachable (an image object's `.tpl.save(...)` wrote files anywhere). Here:

- the context is **plain data only** (`plain_data`): dict, list, str, int, float, Decimal, bool,
  None, date, datetime and time, copied into exactly those types; anything else is refused before
  the template runs;
- attribute and item access (`x.y`, `x['y']`, `|attr`, `str.format` fields) work only on that
  plain data and Jinja's `loop`, and only for the attributes on an allow-list (`len`-like reading
  methods: `items`, `upper`, `split`, ...); nothing that writes, formats with a width or reaches
  another object;
- only those methods, the template's own macros, `loop.cycle` and a budgeted `range` may be
  called; only an allow-list of filters and tests exists; no other global;
- the operators that grow text (`*`, `+`, `%`, `**`) and `replace` refuse results beyond
  `MAX_TEXT` characters, and `range` hands out at most `RANGE_BUDGET` numbers per document.

Every refusal raises `SecurityError`, which the renderer turns into the usual message naming
the template file.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import date, datetime, time
from decimal import Decimal
from types import BuiltinMethodType, MethodType
from typing import Any

from jinja2 import Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEXT = 200_000  # characters (or items) one expression may produce
RANGE_BUDGET = 10_000  # numbers `range` may hand out in one document

PLAIN_SCALARS = (str, bool, int, float, Decimal, datetime, date, time, type(None))

_STR = frozenset(
    "capitalize casefold count endswith find index isalnum isalpha isdecimal isdigit islower isnumeric "
    "isspace istitle isupper join lower lstrip partition removeprefix removesuffix replace rfind rindex "
    "rpartition rsplit rstrip split splitlines startswith strip swapcase title upper".split()
)
_DATE = frozenset("year month day weekday isoweekday isoformat".split())
_DATETIME = _DATE | frozenset("hour minute second date".split())
_TIME = frozenset("hour minute second isoformat".split())
# Only reading, nothing that pads to a width, formats, mutates or reaches another object.
ALLOWED: dict[type, frozenset[str]] = {
    str: _STR,
    dict: frozenset("items keys values get".split()),
    list: frozenset("index count".split()),
    tuple: frozenset("index count".split()),
    datetime: _DATETIME,
    date: _DATE,
    time: _TIME,
    int: frozenset(),
    float: frozenset(),
    Decimal: frozenset(),
    bool: frozenset(),
}
LOOP = frozenset(
    "index index0 revindex revindex0 first last length depth depth0 previtem nextitem cycle changed".split()
)
ALLOWED_FILTERS = frozenset(
    "abs attr batch capitalize count default d dictsort escape e first float forceescape int items "
    "join last length list lower map max min reject rejectattr replace reverse round safe select selectattr "
    "sort string striptags sum title trim truncate unique upper urlencode wordcount".split()
)
ALLOWED_TESTS = frozenset(
    "boolean defined divisibleby eq equalto escaped even false filter float ge greaterthan gt in integer "
    "iterable le lessthan lower lt mapping ne none number odd sameas sequence string test true undefined "
    "upper".split()
)
_PERCENT_WIDTH = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d{3,})|%(?:\([^)]*\))?[-#0 +]*\d*\.(\*|\d{3,})")


def is_plain(value: Any, depth: int = 0) -> bool:
    """True when VALUE is plain data all the way down (exact builtin types, str keys)."""
    if depth > 50:
        return False
    kind = type(value)
    if kind in PLAIN_SCALARS:
        return True
    if kind is dict:
        return all(type(k) is str and is_plain(v, depth + 1) for k, v in value.items())
    if kind in (list, tuple):
        return all(is_plain(v, depth + 1) for v in value)
    return False


def plain_data(value: Any, path: str = "context") -> Any:
    """A copy of VALUE in exactly the plain types; TypeError naming the path for anything else."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str.__str__(value)  # a str subclass (Markup) becomes a plain str
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float | Decimal | datetime | date | time) and type(value) in PLAIN_SCALARS:
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: a key is not text ({type(key).__name__})")
            out[str.__str__(key)] = plain_data(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [plain_data(item, f"{path}[{n}]") for n, item in enumerate(value)]
    raise TypeError(f"{path}: {type(value).__name__} is not plain data")


def _plain_type(obj: Any) -> type | None:
    kind = type(obj)
    if kind in ALLOWED:
        return kind
    if isinstance(obj, str):  # Markup, from autoescaping
        return str
    return None


def _weight(value: Any) -> int:
    """The characters VALUE would print as, roughly: its text, or its items' text, counted shallowly."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple):
        return len(value) + sum(len(item) for item in value if isinstance(item, str | list | tuple))
    return 1


def _check_size(result: Any) -> Any:
    if isinstance(result, str | list | tuple) and _weight(result) > MAX_TEXT:
        raise SecurityError(f"an expression produced more than {MAX_TEXT} characters")
    return result


def _sized(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        return _check_size(function(*args, **kwargs))

    run.__name__ = name
    for flag in ("jinja_pass_arg",):
        if hasattr(function, flag):
            setattr(run, flag, getattr(function, flag))
    return run


def _guard_join(join: Callable[..., Any]) -> Callable[..., Any]:
    def checked(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
        items = list(value) if not isinstance(value, str) else value
        if isinstance(items, list) and sum(_weight(x) for x in items) + len(d) * len(items) > MAX_TEXT:
            raise SecurityError(f"join would produce more than {MAX_TEXT} characters")
        return join(eval_ctx, items, d, attribute)

    checked.jinja_pass_arg = join.jinja_pass_arg  # type: ignore[attr-defined]
    return checked


def _guard_batch(batch: Callable[..., Any]) -> Callable[..., Any]:
    def checked(value: Any, linecount: int, fill_with: Any = None) -> Any:
        if not isinstance(linecount, int) or not 0 < linecount <= MAX_TEXT:
            raise SecurityError(f"batch takes a line count from 1 to {MAX_TEXT}")
        return batch(value, linecount, fill_with)

    return checked


def _guard_replace(text: str, old: Any, new: Any, count: Any = -1) -> None:
    if isinstance(old, str) and isinstance(new, str):
        hits = len(text) + 1 if old == "" else text.count(old)
        if len(text) + hits * len(new) > MAX_TEXT:
            raise SecurityError(f"replace would produce more than {MAX_TEXT} characters")


class _Generator(CodeGenerator):
    """Compiles `a ~ b` to a concatenation whose size is checked (`~` is not an intercepted binop)."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.sized(")
        super().visit_Concat(node, frame)
        self.write(")")


class PlainSandbox(ImmutableSandboxedEnvironment):
    """See the module docstring. One instance per document: the range budget is per render."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _Generator

    def __init__(self) -> None:
        super().__init__(autoescape=True)
        left = [RANGE_BUDGET]

        def budgeted_range(*args: int) -> Iterator[int]:
            numbers = range(*args)
            if len(numbers) > left[0]:
                raise SecurityError(f"range: a document may count at most {RANGE_BUDGET} numbers")
            left[0] -= len(numbers)
            return iter(numbers)

        self._range = budgeted_range
        self.globals.clear()
        self.globals["range"] = budgeted_range
        self.filters = {name: _sized(name, f) for name, f in self.filters.items() if name in ALLOWED_FILTERS}
        self.tests = {name: t for name, t in self.tests.items() if name in ALLOWED_TESTS}
        self.filters["replace"] = _sized("replace", self._replace_filter)
        self.filters["join"] = _sized("join", _guard_join(self.filters["join"]))
        self.filters["batch"] = _sized("batch", _guard_batch(self.filters["batch"]))

    @staticmethod
    def sized(value: Any) -> Any:
        """What `~` produced, refused when larger than MAX_TEXT (called by the compiled template)."""
        return _check_size(value)

    # --- what may be reached ---------------------------------------------------------------

    def _allowed(self, obj: Any, attribute: Any) -> bool:
        if not isinstance(attribute, str):
            return False
        if isinstance(obj, LoopContext):
            return attribute in LOOP
        kind = _plain_type(obj)
        return kind is not None and attribute in ALLOWED[kind]

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return self._allowed(obj, attr) and super().is_safe_attribute(obj, attr, value)

    def is_safe_callable(self, obj: Any) -> bool:
        if obj is self._range or isinstance(obj, Macro):
            return True
        if isinstance(obj, LoopContext):  # a recursive loop: loop(children)
            return True
        if type(obj) not in (BuiltinMethodType, MethodType):
            return False
        return self._allowed(obj.__self__, obj.__name__)

    def getattr(self, obj: Any, attribute: str) -> Any:
        return self._reach(obj, attribute, prefer_item=False)

    def getitem(self, obj: Any, argument: Any) -> Any:
        return self._reach(obj, argument, prefer_item=True)

    def _reach(self, obj: Any, name: Any, prefer_item: bool) -> Any:
        """`obj.name` or `obj[name]`: a key or index of plain data, or an allowed attribute."""
        if isinstance(obj, Undefined):
            return super().getattr(obj, name)  # fails as an undefined value does
        if not isinstance(obj, LoopContext) and _plain_type(obj) is None:
            raise SecurityError(f"a {type(obj).__name__!r} object may not be used in a template")
        if type(obj) is dict:
            if isinstance(name, str) and name in ALLOWED[dict] and not (prefer_item and name in obj):
                return getattr(obj, name)
            with suppress(TypeError, LookupError):  # not a key: an allowed method, or undefined below
                return obj[name]
        elif isinstance(obj, list | tuple | str) and isinstance(name, int | slice) and not isinstance(name, bool):
            try:
                return obj[name]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=str(name))
        if self._allowed(obj, name):
            return getattr(obj, name)
        if isinstance(name, str) and hasattr(obj, name):
            return self.unsafe_undefined(obj, name)
        return self.undefined(obj=obj, name=name)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise SecurityError(f"{attribute!r} of {type(obj).__name__!r} may not be used in a template")

    # --- what may be called ----------------------------------------------------------------

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if not __self.is_safe_callable(__obj):
            raise SecurityError(f"{getattr(__obj, '__name__', type(__obj).__name__)!r} may not be called in a template")
        if getattr(__obj, "__name__", "") == "replace" and isinstance(getattr(__obj, "__self__", None), str):
            _guard_replace(__obj.__self__, *args, **kwargs)
        return _check_size(__context.call(__obj, *args, **kwargs))

    def _replace_filter(self, text: Any, old: Any, new: Any, count: int | None = None) -> Any:
        _guard_replace(str(text), str(old), str(new))
        from jinja2.filters import do_replace

        eval_ctx = type("EvalCtx", (), {"autoescape": self.autoescape})()
        return do_replace(eval_ctx, text, old, new, count)

    # --- operators that grow ---------------------------------------------------------------

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and _weight(seq) * n > MAX_TEXT:
                    raise SecurityError(f"'*' would produce more than {MAX_TEXT} characters")
        elif operator_ == "**":
            if isinstance(left, int | float | Decimal) and isinstance(right, int | float | Decimal):
                power = abs(Decimal(right))
                if power > 1000 or (isinstance(left, int) and left.bit_length() * power > 100_000):
                    raise SecurityError("'**': the power is too large")
        elif operator_ == "%":
            if isinstance(left, str) and _PERCENT_WIDTH.search(left):
                raise SecurityError("'%': a width or precision above 99 (or '*') may not be used in a template")
        elif operator_ == "+":
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                if len(left) + len(right) > MAX_TEXT:
                    raise SecurityError(f"'+' would produce more than {MAX_TEXT} characters")
        return _check_size(_BINOPS[operator_](left, right))


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul,
    "**": operator.pow,
    "%": operator.mod,
    "+": operator.add,
}
