"""Internal: the documentation site's reference pages, generated so they cannot drift.

The command-line reference is made from the commands themselves (each option's
spelling, help and default exactly as ``lockerplan COMMAND --help`` prints them)
and the settings' declarations (:func:`lockerplan.scenario.scenario_fields`: section,
scenario-file key, unit); the settings page lists every setting of a scenario file,
those without a command-line option too, with its default and the sentence that
names the default's source. The site's build (``make docs``) puts them into the
pages that hold their marker (:data:`MARKERS`, through ``docs/hooks/reference.py``).

Examples
--------
>>> "| `--walk-m METRES` |" in cli_markdown()
True
>>> "`routing.van_capacity`" in settings_markdown()
True
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from .cli import default_text, main
from .scenario import SECTIONS, Choice, scenario_fields
from .scenario.toml import toml_table

#: The commands that take the scenario's options (a scenario file and every setting).
SCENARIO_COMMANDS = ("plan", "sweep", "rollout")

_DEFAULT = re.compile(r"\s*\[default: (?P<default>.*)\]\s*$", re.S)


_ROLE = re.compile(r":(?:func|class|meth|mod|data|attr|exc|obj):`(~?)([^`]+)`")


def plain_roles(text: str) -> str:
    """The Sphinx roles of a docstring (``:func:`name```) as code spans; a leading
    ``~`` keeps the last part of the name only.

    Examples
    --------
    >>> plain_roles("see :func:`~lockerplan.siting.solve_mclp` and :mod:`lockerplan.costs`")
    'see `solve_mclp` and `lockerplan.costs`'
    """

    def code(match: re.Match) -> str:
        short, target = match.groups()
        return f"`{target.rsplit('.', 1)[-1] if short else target}`"

    return _ROLE.sub(code, text)


def cell(text: str) -> str:
    """Text for a markdown table cell: one line, ``|``, ``<`` and ``*`` escaped.

    Examples
    --------
    >>> cell("cabinet|pickup_point <parent of A>")
    'cabinet\\\\|pickup_point &lt;parent of A&gt;'
    """
    text = " ".join(text.split())
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = text.replace(raw, escaped)
    return text.replace("|", "\\|").replace("*", "\\*")


def option_rows(command: click.Command) -> Iterator[tuple[str, str, str, str]]:
    """Each option of ``command`` as ``--help`` shows it: name, spelling, help, default.

    The help is click's own record of the option (the text ``--help`` prints), with
    its ``[default: ...]`` split off into the last field ("" for flags); ``--help``
    itself is left out.
    """
    ctx = click.Context(command, info_name=command.name)
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None or param.name == "help":  # arguments, and --help itself
            continue
        spelling, text = record
        match = _DEFAULT.search(text)
        default = match["default"] if match else ""
        yield param.name or "", spelling, text[: match.start()] if match else text, default


def usage(command: click.Command) -> str:
    """The usage line of ``lockerplan COMMAND``."""
    ctx = click.Context(command, info_name=command.name)
    return " ".join([f"lockerplan {command.name}", *command.collect_usage_pieces(ctx)])


def scenario_options() -> list[str]:
    """The settings that `plan`, `sweep` and `rollout` spell alike (all but the few each
    spells its own way, such as sweep's ``--sites RANGE``)."""
    fields = scenario_fields()
    spelled = [
        {param: spelling for param, spelling, _, _ in option_rows(main.commands[name])}
        for name in SCENARIO_COMMANDS
    ]
    return [
        param
        for param, spelling in spelled[0].items()
        if param in fields and all(other.get(param) == spelling for other in spelled[1:])
    ]


def _description(command: click.Command) -> list[str]:
    """A command's help as markdown: its paragraphs, and ``\\b`` blocks as code."""
    lines: list[str] = []
    for para in (command.help or "").strip().split("\n\n"):
        para = "\n".join(line.strip() for line in para.strip().splitlines())
        if para.startswith("\b"):
            body = para.removeprefix("\b").strip("\n")
            head, _, rest = body.partition("\n")
            if head.endswith(":") and rest:  # "Examples:" and its commands
                lines += [f"**{head.rstrip(':')}**", "", "```", rest, "```", ""]
            else:
                lines += [" ".join(body.split()), ""]
        else:
            lines += [" ".join(para.split()), ""]
    return lines


def _setting_key(name: str) -> str:
    """The scenario-file key of a setting: ``walk_m`` or ``routing.van_capacity``."""
    table = toml_table(name)
    return f"{table}.{name}" if table else name


def cli_markdown() -> str:
    """The command-line reference: every command, then the scenario's options by section.

    Generated from the commands (:mod:`lockerplan.cli`) and the settings' declarations.
    """
    fields = scenario_fields()
    out: list[str] = []
    common = scenario_options()
    shared: dict[str, tuple[str, str, str]] = {}
    for name, command in main.commands.items():
        out += [f"## lockerplan {name}", "", f"`{usage(command)}`", "", *_description(command)]
        rows = []
        for param, spelling, text, default in option_rows(command):
            if name in SCENARIO_COMMANDS and param in common:
                shared[param] = (spelling, text, default)
                continue
            rows.append(f"| `{cell(spelling)}` | {cell(text)} | {cell(default)} |")
        if name in SCENARIO_COMMANDS:
            rows.append(
                "| [scenario options](#scenario-options) | every setting below, by its option | |"
            )
        out += ["| option | what it does | default |", "|---|---|---|", *rows, ""]
    out += [
        "## Scenario options",
        "",
        "`lockerplan plan`, `sweep` and `rollout` take these options; each is a setting of "
        "the scenario (its key in a scenario file given with `--config`, where a key "
        "`section.key` sits in the file's `[section]` table). An option given on the "
        "command line overrides the file.",
        "",
    ]
    for section in SECTIONS:
        names = [n for n in shared if fields[n][0] == section]
        if not names:
            continue
        out += [
            f"### {section}",
            "",
            "| option | scenario key | unit | what it means | default |",
            "|---|---|---|---|---|",
        ]
        for n in names:
            spelling, text, default = shared[n]
            unit = fields[n][1].metadata["unit"]
            out.append(
                f"| `{cell(spelling)}` | `{_setting_key(n)}` | {cell(unit)} | {cell(text)} "
                f"| {cell(default)} |"
            )
        out.append("")
    return "\n".join(out)


def _help(name: str) -> str:
    """A setting's help sentence with its choices described."""
    meta = scenario_fields()[name][1].metadata
    text = meta["help"]
    check = meta["check"]
    if isinstance(check, Choice):
        rows = [f"`{v}`: {check.help_of(v).rstrip('.')}" for v in check.values]
        text += ". Choices: " + "; ".join(rows)
    return text


def settings_markdown() -> str:
    """Every setting of a scenario, by section: key, option, unit, default and help.

    A setting's help names the source of its default where a figure depends on it.
    """
    fields = scenario_fields()
    out: list[str] = []
    for section in SECTIONS:
        names = [n for n, (s, _) in fields.items() if s == section]
        out += [
            f"## {section}",
            "",
            "| scenario key | option | unit | default | what it means, and the default's source |",
            "|---|---|---|---|---|",
        ]
        for n in names:
            meta = fields[n][1].metadata
            cli = meta["cli"]
            option = ""
            if cli is not None:
                option = f"`{cli.name or '--' + n.replace('_', '-')}`"
            out.append(
                f"| `{_setting_key(n)}` | {option} | {cell(meta['unit'])} | "
                f"{cell(default_text(n))} | {cell(_help(n))} |"
            )
        out.append("")
    return "\n".join(out)


#: Modules whose fixed figures (upper-case constants with a ``#:`` comment) the
#: model page lists: the figures a plan depends on that are not settings.
CONSTANT_MODULES = (
    "lockerplan.settings",
    "lockerplan.demand.buildings",
    "lockerplan.routing.zones",
    "lockerplan.routing.sizing",
)


def module_constants(module: str) -> Iterator[tuple[str, str, str]]:
    """A module's documented constants: name, value (as written) and ``#:`` comment.

    Examples
    --------
    >>> name, value, comment = next(module_constants("lockerplan.settings"))
    >>> name, value
    ('WALK_SPEED_KMH', '4.8')
    """
    spec = importlib.util.find_spec(module)
    source = Path(spec.origin).read_text(encoding="utf-8")
    lines = source.splitlines()
    for node in ast.parse(source).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if not isinstance(target, ast.Name) or not target.id.isupper() or node.value is None:
            continue
        comment, row = [], node.lineno - 2
        while row >= 0 and lines[row].lstrip().startswith("#:"):
            comment.insert(0, lines[row].lstrip()[2:].strip())
            row -= 1
        if comment:
            value = " ".join((ast.get_source_segment(source, node.value) or "").split())
            yield target.id, value, " ".join(comment)


def constants_markdown() -> str:
    """The fixed figures of :data:`CONSTANT_MODULES`, one table per module."""
    out: list[str] = []
    for module in CONSTANT_MODULES:
        out += [f"### `{module}`", "", "| name | value | what it is |", "|---|---|---|"]
        for name, value, comment in module_constants(module):
            out.append(f"| `{name}` | `{value}` | {cell(plain_roles(comment))} |")
        out.append("")
    return "\n".join(out)


#: Page markers and what the site's build puts in their place.
MARKERS: dict[str, Callable[[], str]] = {
    "<!-- reference: cli -->": cli_markdown,
    "<!-- reference: settings -->": settings_markdown,
    "<!-- reference: constants -->": constants_markdown,
}


def render(markdown: str) -> str:
    """A page's markdown with each marker replaced by its generated reference."""
    for marker, make in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown
