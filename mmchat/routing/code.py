"""Code in a prompt: fenced blocks (with their language), code-like lines, and the prose left around them."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

_INLINE = re.compile(r"`[^`\n]+`")

# Lines that read as source code rather than prose.
_CODE_LINE = re.compile(
    r"""[ \t]*+(?:
        (?:def|class|import|elif|async\ def|fn|func|const|var|function|package|public|private|protected
           |static|struct|impl|return|\#include|\#define|\#!/|using\ namespace|SELECT|INSERT\ INTO
           |CREATE\ TABLE|UPDATE|DELETE\ FROM)\b.*
        |from\ [\w.]+\ import\ .+
        |let\ (?:mut\ )?\w+\s*[:=].*
        |[}\])]+[;,]?
        |.*[;{]
        |(?:if|elif|while)\ .+:
        |for\ \w+(?:,\ ?\w+)*\ in\ .+:
        |with\ .+\ as\ \w+:
        |(?:try|else|finally):
        |except\b.*:
        |[A-Za-z_][\w.\[\]]+[ \t]*(?:=|\+=|-=|:=)[ \t]*\S.*
        |Traceback\ \(most\ recent\ call\ last\):
        |at\ [\w.$]+\(.*\)
        |[A-Za-z_][\w.]*\.[A-Za-z_]\w*\(.*\)
        |"[\w@./-]+"[ \t]*:[ \t]*.+
    )[ \t]*$""",
    re.X,
)

_ALIASES = {
    "py": "python", "python3": "python", "py3": "python", "ipython": "python", "pycon": "python",
    "js": "javascript", "jsx": "javascript", "node": "javascript", "mjs": "javascript",
    "ts": "typescript", "tsx": "typescript",
    "sh": "shell", "bash": "shell", "zsh": "shell", "console": "shell", "shell-session": "shell", "fish": "shell",
    "c++": "cpp", "cc": "cpp", "cxx": "cpp", "hpp": "cpp", "h": "c",
    "golang": "go", "rs": "rust", "yml": "yaml", "cs": "csharp", "c#": "csharp", "kt": "kotlin",
    "rb": "ruby", "ps1": "powershell", "pwsh": "powershell", "psql": "sql", "mysql": "sql", "postgresql": "sql",
    "htm": "html", "xml": "xml", "md": "markdown", "tf": "hcl", "dockerfile": "docker",
}

# Marks of each language for guessing unlabelled code: words (looked up in the
# sample's set of words) and fragments (searched for in the sample); each is a vote.
_MARKS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    lang: (frozenset(words.split()), fragments)
    for lang, words, fragments in (
        ("python", "def elif self None lambda __init__ __name__", ("):\n", "print(", "Traceback (most", "import ")),
        ("javascript", "const let function console require document undefined typeof", ("=>", "===", "console.log")),
        ("typescript", "interface readonly", (": string", ": number", ": boolean", "export type")),
        ("c", "printf malloc sizeof NULL stdio", ("#include <", ".h>", "int main(")),
        ("cpp", "std cout nullptr namespace template", ("std::", "cout <<", "#include <iostream>")),
        ("rust", "fn mut impl pub enum Some unwrap", ("println!", "let mut", "&mut ", "::new(")),
        ("go", "func package fmt chan defer", (":=", "fmt.", "package main")),
        ("java", "public static void extends System", ("System.out", "public static void")),
        ("sql", "SELECT WHERE JOIN INSERT TABLE select where join insert", ("GROUP BY", "group by")),
        ("shell", "sudo echo grep apt export fi esac chmod", ("#!/bin/", "$ ", "| grep")),
        ("html", "", ("<div", "<html", "<span", "<body", "</")),
        ("css", "", ("px;", "color:", "margin:", "padding:")),
    )
}
_CODE_PUNCTUATION = str.maketrans({c: " " for c in string.punctuation.replace("_", "") + "\n\t"})
_GUESS_CHARS = 1500
_MAX_CODE_LINE = 240  # longer lines are prose (and would make the line test slow)


@dataclass(frozen=True)
class CodeFindings:
    has_code: bool
    languages: tuple[str, ...]  # sorted, 'unknown' when code was found but its language not
    blocks: int  # fenced blocks
    prose: str  # the text with code blanked out (same length, lines and positions)


def find_code(text: str) -> CodeFindings:
    languages: set[str] = set()
    blocks = 0
    masked = text
    if "```" in text or "~~~" in text:
        masked, blocks = _mask_fences(text, languages)
    if "`" in masked:
        masked = _INLINE.sub(lambda m: " " * len(m.group()), masked)
    unfenced = False
    if not blocks:  # whoever fences their code fences all of it: look for unfenced code only without fences
        lines = masked.split("\n")
        code_lines = [i for i, line in enumerate(lines) if len(line) <= _MAX_CODE_LINE and _CODE_LINE.match(line)]
        # Three code-like lines make code; two do in a short text (a one-line remark around them).
        unfenced = len(code_lines) >= 3 or (len(code_lines) == 2 and sum(1 for line in lines if line.strip()) <= 5)
    if unfenced:
        languages.add(_guess("\n".join(lines[i] for i in code_lines)) or "unknown")
        for i in code_lines:
            lines[i] = " " * len(lines[i])
        masked = "\n".join(lines)
    if len(languages) > 1:
        languages.discard("unknown")
    return CodeFindings(blocks > 0 or unfenced, tuple(sorted(languages)), blocks, masked)


def _blank(segment: str) -> str:
    """Spaces in place of every character but line breaks."""
    return "\n".join(" " * len(line) for line in segment.split("\n"))


def _fences(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end of its line, fence, info string) of each line that opens or closes a fence, in order.

    Found with str.find (far faster than a regular expression over a long prompt): a fence is
    three or more backticks or tildes after at most three spaces at the start of a line."""
    found = []
    for mark in ("```", "~~~"):
        at = text.find(mark)
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            if at - start <= 3 and not text[start:at].strip(" "):
                run = at
                while run < end and text[run] == mark[0]:
                    run += 1
                found.append((start, end, text[at:run], text[run:end].strip()))
            at = text.find(mark, end)
    found.sort()
    return found


def _mask_fences(text: str, languages: set[str]) -> tuple[str, int]:
    """`text` with each fenced block (fences included) blanked, and the number of blocks; adds their languages."""
    parts: list[str] = []
    pos = 0
    blocks = 0
    opener: tuple[int, int, str, str] | None = None
    for start, end, mark, info in _fences(text):
        if opener is None:
            opener = (start, end, mark, info)
            continue
        if mark[0] == opener[2][0] and len(mark) >= len(opener[2]) and not info:
            _record(opener[3], text[opener[1]:start], languages)
            parts += [text[pos:opener[0]], _blank(text[opener[0]:end])]
            pos = end
            blocks += 1
            opener = None
    if opener is not None:  # an unclosed fence runs to the end of the text
        _record(opener[3], text[opener[1]:], languages)
        parts += [text[pos:opener[0]], _blank(text[opener[0]:])]
        pos = len(text)
        blocks += 1
    parts.append(text[pos:])
    return "".join(parts), blocks


def _record(info: str, body: str, languages: set[str]) -> None:
    name = info.split(maxsplit=1)[0] if info else ""
    if name:
        languages.add(normalise_language(name.lstrip(".{").rstrip("}")))
    else:
        languages.add(_guess(body) or "unknown")


def normalise_language(name: str) -> str:
    """A fence's or a rule's language name as signals report it: 'py' -> 'python'."""
    name = name.strip().lower()
    return _ALIASES.get(name, name)


def _guess(code: str) -> str | None:
    sample = code[:_GUESS_CHARS]
    words = set(sample.translate(_CODE_PUNCTUATION).split())
    votes = {
        lang: len(words & marks) + sum(fragment in sample for fragment in fragments)
        for lang, (marks, fragments) in _MARKS.items()
    }
    best = max(votes, key=votes.__getitem__)  # the first listed wins a tie
    if votes[best] == 0:
        return None
    if best == "c" and votes["cpp"] > 0:
        return "cpp"
    if best == "javascript" and votes["typescript"] > 0:
        return "typescript"
    return best
