"""What a prompt asks for, read from its words in a dozen languages: the turn's intent.

  code       code pasted, or asked for in words (a query, a regex, a shell one-liner, a
             Dockerfile, a CI workflow), a traceback, a compiler or package-manager error
  reasoning  proofs, puzzles, probability, multi-step plans, trade-off analyses, estimates
  creative   poems, stories, slogans, jokes, lyrics, names
  light      greetings and thanks, short factual questions, conversions, definitions,
             one-phrase translations
  everyday   everything else: explanations, summaries, drafts, advice

A light intent needs evidence: a question of a known shape (a capital, a conversion, a
definition), small talk, or a question of six words or fewer that asks for nothing to be made,
in a language whose words for asking how, why or for a thing the lists hold. Anything else not
recognised is everyday, so a prompt in a language the lists read poorly is never taken for a
lighter turn than it is. The words are in mmchat.routing.intent_words, looked up in the prose's
set of words (spaced scripts) or as substrings (Chinese, Japanese, Korean, Thai).
"""

from __future__ import annotations

from dataclasses import dataclass

from mmchat.routing import intent_words as lex
from mmchat.routing.markers import HEAD_CHARS, Words, found, list_items

INTENTS = ("light", "everyday", "creative", "code", "reasoning")


def _unit_pair(words: Words) -> bool:
    """Two different units in a short question: a conversion in any language. A unit in Latin or
    Cyrillic letters starts a word ('mil' is not in 'family'); one in another script may be glued
    to the words around it."""
    tokens = words.text.split()
    return sum(1 for unit in lex.UNIT_WORDS
               if (any(t.startswith(unit) for t in tokens) if unit.isascii() or "\u0400" <= unit[0] <= "\u04ff"
                   else unit in words.sample)) >= 2


def _conversion(sample: str) -> bool:
    """A figure, maybe its unit, then 'in'/'to' and a unit ('5 foot 7 in cm'; not '30 min a day')."""
    return any(_unit(match.group(1)) for match in lex.CONVERSION.finditer(sample))


def _unit(name: str) -> bool:
    name = name.lower()
    return name in lex.UNITS or (len(name) > 2 and name.startswith(lex.UNIT_STEMS))


@dataclass(frozen=True)
class Intent:
    kind: str  # one of INTENTS
    why: str  # the evidence, in a few words ('asks for a regex', 'a puzzle')
    code_languages: tuple[str, ...] = ()  # programming languages named in a request for code


def read_intent(words: Words, *, has_code: bool, math: bool, language: str) -> Intent:
    """The intent of a prompt from the words of its prose (`has_code`: code was found in it;
    `language`: its ISO 639-1 code, or 'und'; a bare short question is light only in a language
    whose words for asking how or why these lists know, so a language they read poorly never
    makes a turn lighter than it is)."""
    sample = words.sample
    cjk = _cjk(sample)
    tech = words.set & lex.TECH
    if cjk:  # tool names written in Latin letters among Chinese, Japanese or Korean text
        tech |= {w.lower() for w in lex.ASCII_WORD.findall(sample)} & (lex.TECH | {"go"})
    objects = found(words, lex.CODE_OBJECTS) + _cjk_found(sample, cjk, lex.CJK_CODE)
    tech |= {w for w in words.set if w.startswith(lex.TECH_STEMS)}  # 'Excelissä', 'pythonban', 'Javie'
    if tech and words.set & lex.KEYWORDS:
        objects.append(sorted(words.set & lex.KEYWORDS)[0])  # 'let and const in javascript'
    ambiguous = words.set & lex.AMBIGUOUS_TECH
    if ambiguous and (tech or set(objects) - ambiguous):
        tech |= ambiguous
    languages = tuple(sorted(tech & (lex.LANGUAGE_NAMES | {"go"})))
    strong = found(words, lex.REASONING_STRONG) + _cjk_found(sample, cjk, lex.CJK_REASONING_STRONG)
    if strong:
        return Intent("reasoning", strong[0], languages)
    if math or _number_question(words, cjk):
        return Intent("reasoning", "mathematics", languages)
    if lex.SYLLOGISM.search(sample):
        return Intent("reasoning", "a syllogism", languages)
    if _justified_count(words, cjk):
        return Intent("reasoning", "a count or order to justify", languages)
    chat = _chatter(words)
    if chat:
        return Intent("light", chat)
    score, evidence = _reasoning_score(words, cjk, len(tech))
    if score >= lex.REASONING_SCORE:
        return Intent("reasoning", ", ".join(evidence[:3]), languages)
    if has_code:
        return Intent("code", "code in the prompt")
    code = _code_evidence(words, cjk, tech, objects)
    if code:
        return Intent("code", code, languages)
    creative = found(words, lex.CREATIVE) + _cjk_found(sample, cjk, lex.CJK_CREATIVE)
    if creative:
        return Intent("creative", creative[0])
    light = _light(words, cjk, language)
    if light:
        return Intent("light", light)
    return Intent("everyday", "a question or task")


def _code_evidence(words: Words, cjk: bool, tech: set[str], objects: list[str]) -> str:
    """Why the prompt asks for code in words, or ''."""
    sample = words.sample
    if lex.ERROR_TEXT.search(sample):
        return "an error message"
    if lex.CODE_SYMBOLS.search(sample) and ("?" in sample or found(words, lex.CODE_VERBS) or tech):
        return "code written in the question"
    alone = found(words, lex.CODE_ALONE)
    if alone:
        return f"asks for {alone[0]}"
    if "no code" in words.text:
        return ""  # about a tool, not code
    verbs = found(words, lex.CODE_VERBS)
    explains = found(words, lex.EXPLAIN)
    if tech and (not explains or verbs or set(objects) - tech) and not _fact(words, verbs):
        return f"{(verbs or objects or ['about'])[0]} {sorted(tech)[0]}"
    if (objects and verbs or cjk and objects) and not _definition(words):
        return f"{verbs[0] if verbs else 'asks for'} {objects[0]}"
    text = words.text
    described = next((o for o in objects if any(f" {o}{link}" in text for link in lex.REQUEST_LINKS)), None)
    if described:
        return f"asks for a {described}"
    if objects and (explains or "example" in words.set) and not _definition(words):
        return f"explains {objects[0]}"
    if lex.IDENTIFIER.search(sample):
        return "names a code identifier"
    return ""


def _number_question(words: Words, cjk: bool) -> bool:
    """A question about numbers (is 1001 prime?) or a word problem: several figures, a question
    asking for a quantity, and a set-up of a dozen words or more."""
    sample = words.sample
    if len(sample) >= HEAD_CHARS:  # a pasted document is full of figures
        return False
    figures = len(lex.NUMBER.findall(sample)) + len(words.set & lex.NUMBER_WORDS)
    if figures and (found(words, lex.NUMBER_THEORY) or _cjk_found(sample, cjk, lex.CJK_NUMBER_THEORY)):
        return True
    quantity = found(words, lex.QUANTITY) or _cjk_found(sample, cjk, lex.CJK_QUANTITY)
    percents = sample.count("%") >= 2  # "down 20 % then up 20 %": a change of a change
    if not (figures >= 2 and (quantity or percents) or figures >= 3 and _asks(words)):
        return False
    return len(words.text.split()) >= lex.WORD_PROBLEM_WORDS or (cjk and len(sample) >= 30)


def _asks(words: Words) -> bool:
    """A question: a question mark, or (lower-case chat drops it) a question word or 'if … do we'."""
    sample = words.sample
    return ("?" in sample or "？" in sample or bool(found(words, lex.QUESTION_WORDS))
            or any(mark in sample for mark in lex.UNSPACED_QUESTION_MARKS))


def _justified_count(words: Words, cjk: bool) -> bool:
    """'How many times a day do the hands overlap? Explain why.': a quantity, a person or an order
    asked for, with its reasons."""
    sample = words.sample
    if not (found(words, lex.JUSTIFY) or _cjk_found(sample, cjk, lex.CJK_JUSTIFY)):
        return False
    return bool(found(words, lex.QUANTITY) or found(words, lex.ASKS_WHICH) or _cjk_found(sample, cjk, lex.CJK_QUANTITY)
                or _cjk_found(sample, cjk, lex.CJK_ASKS_WHICH))


def _chatter(words: Words) -> str:
    """Small talk however long: a message that opens with a greeting and asks nothing (no question
    but a pleasantry, nothing to write, explain or fix)."""
    lowered = words.text.split()
    if not lowered or len(lowered) > lex.CHATTER_MAX_WORDS:
        return ""
    if lowered[0] not in lex.GREETINGS and not lowered[0].startswith(lex.GREETING_STARTS):
        return ""
    if len(lowered) > 6 and lowered[0] in lex.ACKNOWLEDGEMENTS and not words.set & (lex.GREETINGS - lex.ACKNOWLEDGEMENTS):
        return ""  # 'ok so i planted tomatoes and …' goes on to tell a problem
    if "?" in words.sample and not found(words, lex.PLEASANTRIES):
        return ""
    if set(found(words, lex.PRODUCE)) - {"help"} or found(words, lex.CODE_VERBS):
        return ""
    return "small talk"


def _reasoning_score(words: Words, cjk: bool, tools: int) -> tuple[int, list[str]]:
    """Evidence of a problem to think through: weighing options, planning, and a set-up with
    numbers, constraints and several sentences."""
    sample = words.sample
    decide = found(words, lex.REASONING_DECIDE) + _cjk_found(sample, cjk, lex.CJK_REASONING_DECIDE)
    weak = found(words, lex.REASONING_WEAK) + _cjk_found(sample, cjk, lex.CJK_REASONING_WEAK)
    if found(words, lex.SHOULD) and words.set & lex.OR:  # "should I X or Y"
        decide.append("a choice")
    score = 2 * len(decide)
    evidence = list(decide)
    if len(sample) >= HEAD_CHARS:  # a pasted document: its figures and sentences say nothing of the request
        return score, evidence
    score += min(len(weak), 3)
    evidence += weak
    if len(lex.NUMBER.findall(sample)) >= 3:
        score += 1
        evidence.append("figures")
    if len(lex.SENTENCE_END.findall(sample + " ")) >= 3 or list_items(sample) >= 3:
        score += 1
        evidence.append("a set-up")
    if tools >= 2 and decide:
        score += 1  # two tools weighed against each other
    if found(words, lex.MAKE_TEXT) and not decide:
        score -= 1  # asks for a text to be made, not a problem to be solved
    if found(words, lex.EVERYDAY_TALK):
        score -= 2
    return score, evidence


def _light(words: Words, cjk: bool, language: str) -> str:
    """Why the prompt is a light turn, or ''."""
    sample = words.sample.strip()
    lowered = words.text.split()
    if cjk:
        if any(sample.startswith(g) for g in lex.CJK_GREETINGS) and len(sample) <= 24:
            return "small talk"
        if len(sample) > lex.LIGHT_MAX_CJK_CHARS or any(c in sample for c in lex.CJK_PRODUCE):
            return ""
        hit = next((c for c in lex.CJK_LIGHT if c in sample), None)
        if hit:
            return f"a short question ({hit})"
        return "a short question" if len(sample) <= 15 and sample.endswith(("?", "？")) else ""
    if len(lowered) > lex.LIGHT_MAX_WORDS or sample.count("\n") > 2:
        return ""
    if found(words, lex.TRANSLATE):
        return "a translation or spelling"
    produce = found(words, lex.PRODUCE)
    if produce:
        return ""
    if _conversion(sample) or (len(sample) <= lex.UNIT_PAIR_CHARS and _unit_pair(words)):
        return "a conversion"
    if lex.ARITHMETIC.match(sample):
        return "a sum"
    shape = found(words, lex.LIGHT) or found(_opening(words), lex.LIGHT_OPENERS)
    if shape:
        return f"a short question ({shape[0]})"
    if any(word.startswith(lex.CAPITAL_STEMS) for word in words.set):
        return "a short question (a capital city)"
    if language == "en" and len(lowered) <= lex.YES_NO_MAX_WORDS and lex.YES_NO.match(sample):
        return "a yes/no question"
    read = language in lex.READ_LANGUAGES or (language == "und" and sample.isascii())
    if read and len(lowered) <= lex.SHORT_QUESTION_WORDS:
        return "a short question"
    return ""


def _fact(words: Words, verbs: list[str]) -> bool:
    """A question of fact or definition about a tool ('when was Python released?', 'what does
    API stand for', 'default port for redis?'), not a request for code."""
    if _definition(words) or found(words, lex.TRANSLATE):
        return True
    shape = found(words, lex.LIGHT) or found(_opening(words), lex.LIGHT_OPENERS)
    return not verbs and bool(shape) and len(words.text.split()) <= 12


def _definition(words: Words) -> bool:
    """'What does API stand for', 'meaning of idempotent' (not 'what does async do')."""
    return bool(found(words, lex.DEFINITION)) or ("what does" in words.text and bool(words.set & {"mean", "means"}))


def _opening(words: Words) -> Words:
    """Where a question's opener stands: the first few words of each sentence, and in a short
    question the last few words (where Hindi, Turkish or Vietnamese put it)."""
    parts = [" ".join(clause.split()[:lex.OPENER_WORDS]) for clause in lex.CLAUSE_END.split(words.sample.lower())]
    every = words.text.split()
    if len(every) <= 2 * lex.OPENER_WORDS:
        parts.append(" ".join(every[-lex.OPENER_WORDS:]))
    return Words.of(" | ".join(parts))


def _cjk(text: str) -> bool:
    return not text.isascii() and any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in text[:400])


def _cjk_found(sample: str, cjk: bool, needles: tuple[str, ...]) -> list[str]:
    return [n for n in needles if n in sample] if cjk else []
