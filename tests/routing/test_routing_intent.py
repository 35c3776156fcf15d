"""What a prompt asks for (mmchat.routing.intent), and how rules act on it: prompts of these tests'
own, apart from the labelled set of benchmarks/routing_set/."""

from __future__ import annotations

import pytest

from mmchat.routing import Conversation, RouterState, Turn, compute_signals
from tests.routing.helpers import route, rules_from


def intent(prompt: str) -> str:
    return compute_signals(Turn(prompt), Conversation(), RouterState()).intent


@pytest.mark.parametrize(
    "prompt",
    [
        "write a postgres query listing users who signed up last week but never logged in",
        "regex that matches a UK postcode",
        "give me a bash one-liner that renames every .jpeg file to .jpg",
        "Dockerfile for a node app with a multi-stage build please",
        "how do I undo the last git commit but keep my changes",
        "Implement a trie in Kotlin with insert and prefix search",
        "set up a GitHub Actions workflow that runs pytest on every push",
        "Traceback (most recent call last):\n  File \"app.py\", line 12, in <module>\n    main()\nValueError: bad input",
        "src/lib.rs:8:5: error[E0382]: borrow of moved value: `v`",
        "my build fails with: undefined reference to `pthread_create'",
        "npm ERR! code ERESOLVE unable to resolve dependency tree",
        "Schreibe eine Python-Funktion, die Primzahlen bis n findet.",
        "Écris une requête SQL qui compte les commandes par client.",
        "用Python写一个读取CSV文件的脚本",
        "Напиши функцию на Go, которая переворачивает строку",
    ],
)
def test_code_asked_for_in_words_or_pasted_errors_are_code(prompt: str) -> None:
    assert intent(prompt) == "code"


@pytest.mark.parametrize(
    "prompt",
    [
        "Prove that the square root of 3 is irrational.",
        "Here's a riddle: what has keys but can't open locks? Explain how you solved it.",
        "Plan the rollout of a new billing system across three regions with a rollback at each phase.",
        "Postgres or DynamoDB for a ledger that needs strict consistency and audit history? Lay out the trade-offs.",
        "Our cron job runs twice some nights and only under load; walk me through what could cause it.",
        "Estimate how many litres of water a city of a million people uses in a day, showing assumptions.",
        "What's the probability of drawing two aces in a row from a shuffled deck?",
        "Beweise, dass es unendlich viele Primzahlen gibt.",
        "¿Qué es mejor para un equipo pequeño, monolito o microservicios? Dame pros y contras y una recomendación.",
        "有三个开关和一个灯泡的谜题，怎么解？",
    ],
)
def test_proofs_puzzles_plans_and_trade_offs_are_reasoning(prompt: str) -> None:
    assert intent(prompt) == "reasoning"


@pytest.mark.parametrize(
    "prompt",
    [
        "hey there!",
        "thanks a lot, that fixed it",
        "what's the capital of Canada?",
        "who painted the Mona Lisa",
        "100 F in C",
        "how many grams in an ounce",
        "how do you say 'thank you' in Portuguese",
        "Is a whale a mammal?",
        "what does 'ephemeral' mean",
        "Wie hoch ist der Mount Everest?",
        "¿Cuál es la capital de Perú?",
        "東京タワーの高さは？",
    ],
)
def test_greetings_trivia_conversions_and_short_translations_are_light(prompt: str) -> None:
    assert intent(prompt) == "light"


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ("write a limerick about a sleepy cat", "creative"),
        ("Give me ten name ideas for a bakery", "creative"),
        ("Explain how a heat pump works", "everyday"),
        ("draft a short note asking my landlord to fix the heating", "everyday"),
        ("What is Kubernetes, at a high level? no code please", "everyday"),
        ("Erkläre mir, wie Impfungen funktionieren.", "everyday"),
        ("Explique-moi comment fonctionne l'inflation.", "everyday"),
    ],
)
def test_creative_and_everyday(prompt: str, kind: str) -> None:
    assert intent(prompt) == kind


def test_a_language_never_lowers_the_tier() -> None:
    """A short question is light only where the lists know how to ask how or why: one they cannot
    read is everyday, never light, and 'how does X work' is everyday in every language they read."""
    assert intent("Kuidas töötab internet?") == "everyday"  # Estonian: not a language the lists know
    assert intent("who invented the internet?") == "light"
    for how in ("How does DNS work?", "Wie funktioniert DNS?", "Comment fonctionne le DNS ?", "¿Cómo funciona el DNS?"):
        assert intent(how) == "everyday", how


def test_a_long_pasted_document_does_not_make_a_summary_a_puzzle() -> None:
    document = "The supplier shall deliver 40 units each week; late delivery costs 3 % per day. " * 200
    assert intent(f"Summarise the obligations in this contract.\n\n{document}") == "everyday"


def test_code_asked_for_names_its_language() -> None:
    s = compute_signals(Turn("write a typescript function that debounces another"), Conversation(), RouterState())
    assert s.has_code and s.code_languages == ("typescript",)


# --- rules act on the intent ----------------------------------------------------------------


def test_code_in_words_goes_to_a_model_tagged_code_even_when_a_cheaper_one_is_there(models) -> None:
    d = route("write a SQL query that finds duplicate emails in the users table", models)
    assert "code" in d.rules
    assert d.model in ("cloud/mini", "cloud/big", "cloud/thinker", "other/sonnet", "lab/coder")
    nano = next(c for c in d.candidates if c.model == "cloud/nano")
    assert any("lacks code" in reason for reason in nano.reasons)
    assert d.candidates[0].model == d.model


def test_a_puzzle_goes_to_a_strong_reasoning_model(models) -> None:
    d = route("Three gods, one always tells the truth, one always lies, one answers at random. "
              "With three yes/no questions, how do you find out which is which?", models)
    assert d.model == "cloud/thinker" and "hard questions" in d.rules


def test_a_needed_capability_no_allowed_model_has_is_said(models) -> None:
    rules = rules_from("routing:\n  rules:\n    - name: think\n      when: {intent: reasoning}\n"
                       "      then: {need: [reasoning]}\n", models)
    d = route("Prove that there are infinitely many primes.", models, rules=rules, state=RouterState(locked=True))
    assert d.private and d.model is not None and not d.model.startswith(("cloud/", "other/"))
    assert any("needs reasoning: no allowed model has it" in note for note in d.notes)


def test_a_non_english_question_does_not_go_to_a_small_local_model(four_models) -> None:
    d = route("Wie viele Tage hat ein Schaltjahr?", four_models)
    assert d.model == "cloud/fast"
    english = route("How many days are in a leap year?", four_models)
    assert english.signals.intent == "light" and english.model in ("cloud/fast", "local/small")


def test_a_private_non_english_question_stays_local(four_models) -> None:
    d = route("Wie viele Tage hat ein Schaltjahr? #private", four_models)
    assert d.private and d.model == "local/small"


def test_an_intent_condition_is_checked() -> None:
    from mmchat.config import ConfigError
    from tests.routing.helpers import load

    _, models = load()
    with pytest.raises(ConfigError, match="unknown intent 'cod'"):
        rules_from("routing:\n  rules:\n    - name: c\n      when: {intent: cod}\n      then: {tier: strong}\n", models)
