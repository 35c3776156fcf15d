"""Each signal of a turn, with the false positives that matter."""

from __future__ import annotations

import pytest

from mmchat.config import Budget
from mmchat.routing import Attachment, Conversation, RouterState, Turn, compute_signals
from mmchat.routing.secrets import PERSONAL_KINDS, luhn_valid, scan
from mmchat.routing.usertags import BUILTIN_TAGS


def signals(prompt: str, **kwargs):
    return compute_signals(Turn(prompt), Conversation(), RouterState(), **kwargs)


def find_secrets(text: str) -> tuple[str, ...]:
    return tuple(sorted({f.kind for f in scan(text) if f.kind not in PERSONAL_KINDS}))


def find_personal(text: str) -> tuple[str, ...]:
    return tuple(sorted({f.kind for f in scan(text) if f.kind in PERSONAL_KINDS}))


# --- code --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "languages"),
    [
        ("```python\nprint('hi')\n```\nwhat does it print?", ("python",)),
        ("```py\nx = 1\n```", ("python",)),
        ("~~~ts\nlet x: number = 1\n~~~", ("typescript",)),
        ("```\ndef area(r):\n    return 3.14 * r * r\n```", ("python",)),
        ("```\nfn main() {\n    let mut v = Vec::new();\n    println!(\"{}\", v.len());\n}\n```", ("rust",)),
        ("```\npackage main\nfunc main() {\n\tx := 1\n\tfmt.Println(x)\n}\n```", ("go",)),
        ("```sql\nSELECT 1\n```\n```bash\nls\n```", ("shell", "sql")),
    ],
)
def test_fenced_code_and_its_language(prompt: str, languages: tuple[str, ...]) -> None:
    s = signals(prompt)
    assert s.has_code
    assert s.code_languages == languages


def test_unfenced_c_code_is_code() -> None:
    s = signals('#include <stdio.h>\nint main(void) {\n    printf("hi");\n    return 0;\n}\n')
    assert s.has_code
    assert s.code_languages == ("c",)


def test_a_python_traceback_is_code() -> None:
    s = signals('Traceback (most recent call last):\n  File "a.py", line 1, in <module>\nfoo = bar()\n'
                "NameError: name 'bar' is not defined")
    assert s.has_code


@pytest.mark.parametrize(
    "prompt",
    [
        "Let me know; thanks a lot.",
        "x = 5\ny = 3\nwhat is x + y?",  # a sum, not a program
        "My plan (two parts):\n1. write the report\n2. send it",
        "Use `git status` to see the changes.",  # inline code is not a block of code
    ],
)
def test_prose_is_not_code(prompt: str) -> None:
    assert not signals(prompt).has_code


def test_an_unclosed_fence_runs_to_the_end() -> None:
    s = signals("fix this:\n```js\nconst a = 1\nconsole.log(a)")
    assert s.has_code and s.code_languages == ("javascript",)


def test_a_code_block_with_an_email_is_still_code() -> None:
    s = signals("```python\nSUPPORT = 'ana.lopez@corp.io'\nsend(SUPPORT)\n```\nwhy does send fail?")
    assert s.has_code
    assert s.code_languages == ("python",)
    assert s.personal == ()  # an address in code names no one who asked for privacy
    assert s.secrets == ()


# --- secrets and personal data -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("key: sk-proj-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW", "openai-key"),
        ("OPENAI_API_KEY=sk-4f9aB2c8D1e7F3g6H0i5J9k2L8m4N1o7", "openai-key"),
        ('client = Anthropic(api_key="sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0")', "anthropic-key"),
        ("GOOGLE=AIzaSyD4f8-Gh2jK9lM3nP6qR1sT5uV8wX0yZ2a", "google-key"),
        ("token ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "github-token"),
        ("aws_access_key_id = AKIAQ3EGRKTZ7WXJ4N5P", "aws-access-key"),
        ("SLACK_TOKEN=xoxb-8264019375-40718226451-Qm3Xv9LpR2sTa7Wk", "slack-token"),
        ("stripe: sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe-key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----",
         "private-key"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "private-key"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
         "jwt"),
    ],
)
def test_credentials_are_found_by_kind(text: str, kind: str) -> None:
    assert find_secrets(text) == (kind,)


@pytest.mark.parametrize(
    "text",
    [
        "set OPENAI_API_KEY=sk-your-key-here",  # a placeholder
        "export KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  # no digits: a placeholder
        "the docs use AKIAIOSFODNN7EXAMPLE as the access key",  # AWS's documented example
        "sk-learn is not a library name, scikit-learn is",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----",
        "a task-force of high-ranking ghosts",
    ],
)
def test_placeholders_and_lookalikes_are_not_credentials(text: str) -> None:
    assert find_secrets(text) == ()


def test_a_card_number_must_pass_luhn_and_look_like_a_card() -> None:
    assert find_personal("card 4539 1488 0343 6467 exp 12/29") == ("card",)
    assert find_personal("card 4539-1488-0343-6467") == ("card",)
    assert find_personal("card 4539148803436467") == ("card",)
    assert find_personal("order 4539 1488 0343 6468") == ()  # fails the Luhn check
    assert find_personal("test with 4242 4242 4242 4242") == ("card",)  # a test number looks like any other
    assert find_personal("created at 1700000000000 ms") == ()  # a timestamp: no network starts with 1
    assert find_personal("id 12345678903") == ()  # too short


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


def test_emails_that_name_someone_are_personal_data() -> None:
    assert find_personal("write to maria.garcia@gmail.com please") == ("email",)
    assert find_personal("e.g. jane@example.com or bob@test") == ()  # reserved example domains
    assert find_personal("git clone git@github.com:me/repo.git") == ()
    assert find_personal("pin lodash@4.17.21 in package.json") == ()  # a version, not an address


def test_secrets_are_reported_by_kind_never_by_value() -> None:
    key = "sk-proj-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW"
    s = signals(f"why does {key} give 401?")
    assert s.secrets == ("openai-key",)
    assert key not in repr(s.to_dict())


# --- routing tags ---------------------------------------------------------------


def test_tags_are_stripped_from_what_is_sent() -> None:
    s = signals("#private summarise my notes #fast")
    assert s.tags == ("fast", "private")
    assert s.text == "summarise my notes"


def test_tags_in_the_middle_keep_the_sentence_readable() -> None:
    s = signals("tell me #Best a joke")
    assert s.tags == ("best",)
    assert s.text == "tell me a joke"


@pytest.mark.parametrize(
    "prompt",
    [
        "```c\n#include <stdio.h>\n```",  # code
        "```md\n#fast\n```",  # a tag inside a code block is code
        "run `#fast` literally",  # inline code
        "see https://x.test/page#fast",  # a URL fragment
        "I write C#best practices",  # glued to a word
        "fix #123 and #todo",  # not routing tags
        "# Fast\nA heading",  # a Markdown heading
    ],
)
def test_hashes_that_are_not_tags(prompt: str) -> None:
    s = signals(prompt)
    assert s.tags == ()
    assert s.text == prompt.strip()


def test_include_is_not_a_tag_even_when_a_rule_knows_that_word() -> None:
    s = signals("```\n#include <stdio.h>\nint main(void) { return 0; }\n```", known_tags=BUILTIN_TAGS | {"include"})
    assert s.tags == ()


def test_tags_given_with_the_turn_count_too() -> None:
    s = compute_signals(Turn("hello", tags=("#Local",)), Conversation(), RouterState())
    assert s.tags == ("local",)


# --- natural language -----------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "language"),
    [
        ("What is the capital of France and why is it there?", "en"),
        ("Wie funktioniert das und warum ist es so?", "de"),
        ("Pourquoi le ciel est bleu et comment ça marche ?", "fr"),
        ("¿Cómo está el tiempo para el fin de semana?", "es"),
        ("这是什么意思？请解释一下", "zh"),
        ("これは何ですか？説明してください", "ja"),
        ("Как дела? Что это такое?", "ru"),
        ("Привіт, як справи? Що це їх?", "uk"),
        ("ok", "und"),
    ],
)
def test_language(prompt: str, language: str) -> None:
    assert signals(prompt).language == language


def test_language_ignores_code() -> None:
    s = signals("Warum ist das so langsam und wie kann ich das ändern?\n```python\nfor item in the_list:\n"
                "    print(item, 'and', 'the', 'with')\n```")
    assert s.language == "de"


# --- math, reasoning, complexity, answer length ---------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "Solve for x: 2x + 3 = 7",
        "what is $\\frac{a}{b}$ when a = 2?",
        "Find the eigenvalues of this matrix",
        "Is ∑ 1/n² convergent?",
        "expand (x+1)^2",
    ],
)
def test_math(prompt: str) -> None:
    assert signals(prompt).math


@pytest.mark.parametrize(
    "prompt", ["How do I integrate Stripe into my shop?", "set timeout = 30 in the config", "price is $5 or $6"]
)
def test_not_math(prompt: str) -> None:
    assert not signals(prompt).math


def test_reasoning_markers() -> None:
    s = signals("Think step-by-step: compare the trade-offs and find the root cause.")
    assert set(s.reasoning) >= {"step by step", "compare", "trade offs", "root cause"}


@pytest.mark.parametrize(
    ("prompt", "level"),
    [
        ("hi!", "simple"),
        ("thanks", "simple"),
        ("What is the capital of France?", "simple"),
        ("Explain how TCP congestion control works", "moderate"),
        ("Why is the sky blue?", "moderate"),
        ("Compare B-trees and LSM trees step by step and analyze the trade-offs for writes.", "complex"),
    ],
)
def test_complexity(prompt: str, level: str) -> None:
    assert signals(prompt).complexity == level


def test_a_long_prompt_is_not_simple() -> None:
    assert signals("word " * 400, count=lambda text: len(text.split())).complexity != "simple"


def test_answer_length() -> None:
    assert signals("Briefly, what is DNS?").answer_length == "short"
    assert signals("Explain DNS in detail").answer_length == "long"
    assert signals("What is DNS?").answer_length == "normal"


# --- sizes, attachments, conversation, budget ---------------------------------------------


def test_token_counts_come_from_the_counter_given() -> None:
    calls: list[str] = []

    def count(text: str) -> int:
        calls.append(text)
        return 7

    s = compute_signals(
        Turn("#fast hello", attachments=(Attachment("notes.txt", "text", tokens=100),)),
        Conversation(tokens=2000), RouterState(), count=count,
    )
    assert calls == ["hello"]  # the prompt as it is sent, counted once; the history's count was given
    assert (s.tokens, s.history_tokens, s.total_tokens) == (107, 2000, 2107)


def test_history_is_counted_when_no_count_is_given() -> None:
    class Msg:
        def __init__(self, role: str, content: str) -> None:
            self.role, self.content, self.model = role, content, None

    history = (Msg("user", "a" * 40), Msg("assistant", "b" * 80))
    s = compute_signals(Turn("hi"), Conversation(messages=history), RouterState())
    assert s.history_tokens == 10 + 4 + 20 + 4  # chars/4 plus each message's overhead
    assert s.turns == 1


def test_attachments_by_kind() -> None:
    turn = Turn("what is in these?", attachments=(Attachment("a.png", "image"), Attachment("b.png", "image"),
                                                  Attachment("c.pdf", "pdf")))
    assert compute_signals(turn, Conversation(), RouterState()).attachments == ("image", "pdf")


def test_attached_text_is_searched_for_private_data_too() -> None:
    notes = Attachment("notes.txt", "text", tokens=30, text="db password\nAKIAQ3EGRKTZ7WXJ4N5P\nana.lopez@corp.io")
    s = compute_signals(Turn("summarise the attached notes", attachments=(notes,)), Conversation(), RouterState())
    assert s.secrets == ("aws-access-key",)
    assert s.personal == ("email",)


def test_budget_left_is_the_tightest_limit() -> None:
    state = RouterState(budget=Budget(conversation=1.0, day=5.0, warn_at=0.8), spent_conversation=0.5, spent_day=4.7)
    s = compute_signals(Turn("hi"), Conversation(), state)
    assert s.budget_left == pytest.approx(0.3)
    assert s.budget_low  # the day's budget is past 80 %


def test_no_budget_no_limit() -> None:
    s = signals("hi")
    assert s.budget_left is None and not s.budget_low
