"""The words and shapes mmchat.routing.intent reads a prompt's intent from, by intent and by
language: tools and things of code, marks of reasoning, creative forms, light questions, small
talk. Data only; the reading is mmchat.routing.intent's.

Phrases are looked up with mmchat.routing.markers.found (the longest word of a phrase is its key);
CJK_ tuples are searched as substrings, as Chinese, Japanese and Korean do not space their words.
"""

from __future__ import annotations

import re

from mmchat.routing.markers import phrases


# --- code --------------------------------------------------------------------------------

# Names of languages, tools and formats: naming one is half of asking for code.
TECH = frozenset("""
dax powerbi wordpress collation charset utf8mb4 excel sheets spreadsheet spreadsheets pivot promql grafana prometheus datadog splunk kql logql latex tex overleaf bibtex android ios flutter swiftui
jetpack recyclerview xamarin unity godot js ggplot ggplot2 dplyr tidyverse vlookup xlookup
python javascript typescript java kotlin   golang csharp cpp  php perl  haskell 
erlang clojure lua   matlab fortran cobol ocaml zig nim groovy vba assembly wasm webassembly
sql postgres postgresql psql mysql mariadb sqlite mssql plpgsql  snowflake bigquery mongodb redis cassandra
dynamodb elasticsearch graphql grpc protobuf kafka rabbitmq
bash shell zsh powershell cmd awk sed grep jq curl wget ssh rsync cron crontab systemd systemctl
regex regexp docker dockerfile kubernetes k8s kubectl helm terraform ansible nginx apache
caddy haproxy git github gitlab bitbucket npm yarn pnpm pip poetry conda cargo maven gradle cmake makefile
webpack vite babel eslint prettier  pytest junit mocha cypress playwright selenium
react  angular svelte nextjs nuxt django  fastapi  laravel  nodejs 
pandas numpy scipy pytorch tensorflow sklearn matplotlib jupyter  pyspark airflow dbt
yaml json toml xml csv html css scss tailwind jsx tsx api endpoint oauth jwt websocket http2 cors
linux ubuntu debian macos homebrew wsl vim neovim emacs vscode intellij xcode
aws  s3 ec2 gcp azure cloudformation cdk serverless vercel heroku netlify
""".split())

# Long names of tools that other languages inflect ('Excelissä', 'pythonban'): matched as word starts.
TECH_STEMS = ("python", "javascript", "typescript", "excel", "kotlin", "golang", "postgres", "mysql", "docker",
               "kubernetes", "linux", "android", "flutter", "wordpress")
# Keywords that are ordinary words too ('let', 'var'): code only beside a tool's name.
KEYWORDS = frozenset("let const var async await def lambda struct enum tuple dict null nullptr typedef int float "
                      "boolean".split())
# Names that are also ordinary words ('rust', 'swift', 'jest' is Polish for 'is'): they count only
# beside a word of code (a function, a script, compile ...) or another tool's name.
AMBIGUOUS_TECH = frozenset("rust ruby swift julia dart vue jest flask rails node oracle spark lambda scala elixir deno".split())

# What code is made of, in English and other languages (the longest word of a phrase is its key).
CODE_OBJECTS = phrases(
    # en
    "function", "functions", "method", "class", "script", "query", "queries", "regex", "regular expression",
    "one liner", "oneliner", "program", "snippet", "code", "algorithm", "unit test", "unit tests",
    "test case", "endpoint", "dockerfile", "makefile", "config file", "configuration file", "workflow",
    "pipeline", "cli", "command", "commands", "component", "hook", "migration", "schema", "decorator", "struct",
    "interface", "loop", "recursion", "recursive", "stored procedure", "cron expression", "github action",
    "github actions", "pull request", "commit", "merge conflict", "rebase", "segfault", "segmentation fault",
    "null pointer", "exception", "stack trace", "stacktrace", "traceback", "compile", "compiler", "compiles",
    "syntax error", "type error", "borrow checker", "memory leak", "off by one", "linked list", "binary tree",
    "hash map", "hashmap", "lru cache", "data structure", "api", "library", "framework", "deployment yaml",
    "manifest", "bug", "variable", "array", "dataframe", "dictionary", "dict", "list comprehension", "type hints",
    "generic", "generics", "async", "await", "promise", "callback", "thread", "mutex", "goroutine", "closure",
    "unit testing", "mock", "refactor", "refactoring", "closures", "methods", "classes", "loops", "variables",
    "arrays", "pointers", "pointer", "promises", "callbacks", "threads", "decorators", "lambdas", "iterators",
    "iterator", "generators", "generator", "structs", "enums", "enum", "scope", "hoisting", "inheritance",
    "polymorphism", "memoization", "big o", "time complexity", "file extension", "implementation", "cli tool", "parser", "lexer",
    "webhook", "middleware", "orm", "index", "join", "select", "group by", "inner join", "primary key",
    "footer", "navbar", "div", "flexbox", "viewport", "modal", "dropdown", "tooltip", "scrollbar", "css grid",
    "tuple", "tuples", "পাইথন", "পাইথনে", "kaava", "kaavalla", "נוסחה", "fórmula", "formule", "formel",
    "формула", "rumus", "pod", "pods", "container", "containers", "cluster", "login page", "console", "the app", "in safari",
    "in chrome", "in firefox", "פייתון", "בפייתון", "לולאה", "מילון", "לינוקס", "لینوکس", "پورت", "پروسه",
    "hero image", "layout shift", "dark mode", "toggle", "formula", "formulas", "파이썬", "자바스크립트",
    "리액트", "안드로이드", "جاوااسکریپت", "پایتون", "جافاسكريبت", "بايثون", "آرایه", "مصفوفة", "media query", "z index", "endpoint", "repo", "repository", "branch",
    # de
    "funktion", "skript", "abfrage", "methode", "klasse", "programm", "regulären ausdruck", "regulärer ausdruck",
    "fehlermeldung", "befehl", "schleife",
    # fr
    "fonction", "requête", "classe", "programme", "expression régulière", "commande", "boucle",
    # es / pt / it
    "función", "consulta", "clase", "programa", "expresión regular", "comando", "bucle", "método", "tabla",
    "metodę", "metoda", "méthode", "метод", "kod", "kodu", "kodunu",
    "função", "expressão regular", "funcao", "funzione", "espressione regolare", "ciclo",
    # nl / pl
    "functie", "klasse", "zapytanie", "funkcję", "funkcja", "funkcji", "klasę", "skrypt", "wyrażenie regularne",
    "polecenie",
    # ru
    "функцию", "функция", "функции", "запрос", "класс", "программу", "скрипт", "регулярное выражение",
    "код", "команду", "ошибка", "ошибку",
)
CODE_VERBS = phrases(
    "write", "implement", "code", "create", "generate", "build", "fix", "refactor", "debug", "optimize",
    "optimise", "convert", "port", "rewrite", "make", "give me", "show me", "how do i", "how to", "how can i",
    "add", "parse", "validate", "sort", "scrape", "deploy", "configure", "set up", "setup", "install",
    "undo", "revert", "rename", "delete", "remove", "why does", "why is", "doesn't", "does not", "won't",
    "can't", "cannot", "failing", "fails", "error", "errors", "broken", "crash", "crashes",
    # de, fr, es, pt, it, nl, pl, ru
    "schreibe", "schreib", "implementiere", "erstelle", "wie kann ich", "funktioniert nicht",
    "écris", "écrivez", "implémente", "implémenter", "crée", "créer", "comment puis je", "comment faire",
    "escribe", "escribir", "implementa", "implementar", "crea", "cómo puedo", "como puedo",
    "escreva", "escrever", "implemente", "crie", "como posso", "scrivi", "scrivere", "implementare", "come posso",
    "schrijf", "implementeer", "maak", "hoe kan ik", "napisz", "zaimplementuj", "utwórz", "jak mogę",
    "напиши", "напишите", "реализуй", "реализуйте", "создай", "как мне", "как сделать", "cómo hago",
    "como faço", "wie mache ich", "jak zrobić", "yaz", "yazar mısın", "yazın", "viết", "buatkan", "tulis",
    "does nothing", "doesn't do anything", "اكتب", "كيف", "איך", "כתוב", "چطور", "چطوری", "بنویس",
    "how do i stop", "how do i make", "how do i get", "resets", "keeps", "every time", "not working",
    "stopped working", "needs to", "instead of", "wrong", "incorrect", "duplicate",
    "duplicates",
)
# Asking for one of these is asking for code, whatever the verb.
CODE_ALONE = phrases(
    "regex", "regular expression", "one liner", "oneliner", "dockerfile", "makefile", "sql query",
    "segfault", "segmentation fault", "stack trace", "stacktrace", "traceback", "syntax error", "unit test",
    "unit tests", "cron expression", "github actions", "github action", "bash script", "shell script",
    "python script", "borrow checker", "merge conflict", "null pointer", "deployment yaml", "stored procedure",
    "lru cache", "linked list", "binary tree", "list comprehension", "type hints",
    "regulären ausdruck", "expression régulière", "expresión regular", "expressão regular", "espressione regolare",
    "wyrażenie regularne", "регулярное выражение",
)
CJK_CODE = ("パイソン", "ジェネレータ", "컴프리헨션", "제너레이터", "関数", "クエリ", "スクリプト", "正規表現", "コード", "プログラム", "実装", "コンパイル", "函数", "查询",
             "脚本", "正则", "代码", "程序", "编写", "报错", "编译", "함수", "쿼리", "스크립트", "정규식", "코드",
             "프로그램", "구현", "컴파일")

# Operators and literals of code written in prose: "[] + {}", "=>", "0.30000000000000004".
CODE_SYMBOLS = re.compile(r"\[\]|\{\}|=>|===|!==|==|!=|&&|\|\||::|->|\+\+|\+=|\d\.\d{12,}|(?i:\bc\+\+|\bc#)")
# A thing of code described by what it must do: "script that renames …", "function to parse …".
REQUEST_LINKS = (" that ", " to ", " which ", " for ", " que ", " die ", " der ", " qui ", " который ", " которая ")
# Names only code has: useEffect, getElementById, read_csv, os.path.join(, setState().
IDENTIFIER = re.compile(r"\b[a-z]{2,}[A-Z][A-Za-z]{2,}\b|\b[a-z]+_[a-z_]+\b|\b\w+\(\)|\b[a-z]\w*\.[a-z]\w*\(")

# Error output pasted from a compiler, an interpreter, a package manager or a service log.
ERROR_TEXT = re.compile(
    r"Traceback \(most recent call last\)|^\s*File \".+\", line \d+|\b[A-Z]\w*(?:Error|Exception)\b:"
    r"|^error(?:\[E\d{4}\])?: |^\s*--> \S+:\d+:\d+|\bpanic: |\bgoroutine \d+ \[|^\s+at [\w.$<>]+\(.*\)$"
    r"|\bundefined reference to\b|\bnpm (?:ERR!|error)\b|\bSegmentation fault\b|\bcore dumped\b"
    r"|^\S+\.\w{1,5}:\d+(?::\d+)?: (?:error|warning|fatal)|^\S+\.[a-z]{1,5}:\d+:\d+: \S|\bexit (?:code|status) \d+\b|\bTS\d{4}: "
    r"|\bcannot find symbol\b|\bModuleNotFoundError\b|\bNullPointerException\b|\bE\d{4}\b.*\berror\b"
    r"|\bis not a function\b|\bis not defined\b|\bcannot read propert|\bcommand not found\b"
    r"|\bpermission denied\b|\bno such file or directory\b|\bstack overflow\b|\bout of memory\b"
    r"|\bindex out of range\b|\bnull reference\b|\bexit(?:ed)? with code \d+|\bexit code \d+|\bOOMKilled\b"
    r"|\b(?:SELECT|JOIN|WHERE|GROUP BY|ORDER BY|INSERT INTO|UPDATE|DELETE FROM)\b|\bRun-time error '\d+'"
    r"|\b(?:SUMIFS?|COUNTIFS?|AVERAGEIFS?|VLOOKUP|XLOOKUP|HLOOKUP|IFERROR|SUMPRODUCT|TEXTJOIN|SVERWEIS|WENN)\b",
    re.M,
)

# --- reasoning ---------------------------------------------------------------------------

# Each is evidence enough on its own: proofs, puzzles, probability, deliberate step-by-step work.
REASONING_STRONG = phrases(
    "prove", "proof", "prove that", "show that", "theorem", "lemma", "irrational", "infinitely many", "puzzle",
    "riddle", "brain teaser", "brainteaser", "knights and knaves", "knaves", "truth teller", "truth tellers",
    "always lie", "always lies", "always tell the truth", "always tells the truth", "river crossing",
    "across the river", "across a river", "monty hall", "paradox", "how many ways", "probability",
    "expected value", "step by step", "think carefully", "think through", "reason through", "show your work",
    "show your reasoning", "explain your reasoning", "zero downtime", "fermi", "back of the envelope",
    "race condition", "data race", "deadlock", "deadlocks", "rigorous", "rigorously", "system design",
    "design a system", "decision matrix", "migration plan", "game theory", "nash equilibrium", "logic problem",
    "combinatorics", "by induction", "by contradiction", "optimal strategy", "counterfeit", "weighings",
    "balance scale", "heisenbug", "counterexample", "under load", "intermittently", "intermittent",
    "derive", "derivation", "expected number", "bayes", "bayesian", "steelman", "both sides", "devil's advocate",
    "is this argument valid", "valid argument", "syllogism", "logically follow", "logically follows",
    "different ways", "permutations", "combinations", "how many arrangements", "once removed", "what relation",
    "how are we related", "trying to decide", "can't decide", "cant decide", "планирую", "спланировать",
    "planning a trip", "we're planning", "i'm planning", "first n", "n squared", "prisoners dilemma", "prisoner's dilemma", "equilibrium", "is this valid",
    "valid or invalid", "labels are wrong", "label is wrong", "απόδειξε", "αποδείξτε", "planuję", "zaplanować",
    "склади план", "скласти план", "liar", "liars", "лжец", "лжецы", "брехун", "mentiroso", "menteur", "lügner", "kłamca", "фальшива",
    "фальшивая", "зважування", "зважувань", "взвешивания", "взвешиваний", "mislabeled", "mislabelled", "every label",
    "הוכח", "הוכיחו", "kanıtla", "chứng minh", "buktikan", "सिद्ध", "أثبت", "ثابت کنید",
    "necessarily true", "definitely true", "montrer que", "montrez que", "dokaž", "dokažte", "zeige dass",
    "zeigen sie dass", "demuestre que", "demuestra que", "mostre que", "dimostra che", "find all real",
    "for every n", "for all n", "olasılık", "olasılığı", "xác suất", "احتمال", "pravděpodobnost", "πιθανότητα",
    "הסתברות", "ймовірність", "probabilitate", "peluang", "संभावना", "balanza", "pesadas", "wägungen", "pesées", "pesate", "weighing", "plan a", "plan the", "plan my", "plan our",
    "plan out", "make a plan",
    # de
    "beweise", "beweisen", "beweis", "rätsel", "wahrscheinlichkeit", "schritt für schritt", "rechenweg",
    # fr
    "prouve", "prouvez", "prouver", "démontre", "démontrez", "démontrer", "démonstration", "énigme",
    "casse tête", "probabilité", "étape par étape", "raisonnement",
    # es, pt, it
    "demuestra", "demostrar", "demostración", "acertijo", "rompecabezas", "probabilidad", "paso a paso",
    "razonamiento", "demonstre", "demonstrar", "demonstração", "charada", "probabilidade", "passo a passo",
    "raciocínio", "dimostra", "dimostrare", "dimostrazione", "indovinello", "probabilità", "passo dopo passo",
    "ragionamento",
    # nl, pl, sv, ru
    "bewijs", "bewijzen", "raadsel", "stap voor stap", "udowodnij", "dowód", "zagadka", "zagadkę",
    "prawdopodobieństwo", "krok po kroku", "zaplanuj", "спланируй", "составь план", "planifie", "planifica",
    "planeje", "pianifica", "erstelle einen plan", "bevisa", "gåta", "sannolikhet", "steg för steg", "докажи", "докажите",
    "доказательство", "загадка", "загадку", "головоломка", "головоломку", "вероятность", "шаг за шагом",
    "рассуждения",
)
# Weighing options, or asking for a plan: evidence worth two (a third makes it reasoning).
REASONING_DECIDE = phrases(
    "trade off", "trade offs", "tradeoff", "tradeoffs", "pros and cons", "advantages and disadvantages",
    "build or buy", "build vs buy", "which is better", "which would you", "which should", "should we",
    "should i use", "is it worth", "we care most", "recommendation", "recommend one", "a plan for", "estimate",
    "walk through", "walk me through", "vs", "recommend", "what would you choose", "what happens when", "what happens if", "what would happen",
    "root cause", "why did", "figure out", "capacity planning", "sharding strategy", "strategy for",
    "is it better", "better to", "or should i", "help me decide", "help me weigh", "help me choose",
    "scegliere tra", "conviene", "dovrei", "kiezen tussen", "hoe verdelen", "ska vi", "ska jag", "välja mellan",
    "wybrać między", "czy powinienem", "czy powinnam", "أحتار بين", "موازنة", "هل يجب", "بهتر است", "چه کنم",
    "bandingkan", "lebih baik", "вибрати між", "чи варто", "выбрать между", "что выбрать", "soll ich", "sollte ich",
    "entscheiden zwischen", "dois je", "vaut il mieux", "choisir entre", "mieux vaut", "debería", "es mejor",
    "elegir entre", "é melhor", "escolher entre", "vale a pena", "עדיף", "כדאי", "mı yoksa", "daha iyi",
    "बेहतर", "ดีกว่า", "nên chọn", "tốt hơn", "hay là",
    "roadmap", "how is that possible", "how can that be", "how is it possible", "how do you find out",
    "how can you find out", "how can you tell", "how do you determine", "how would you determine", "what breaks",
    "what would break", "what could break", "what could go wrong", "what goes wrong", "rank these", "prioritize",
    "prioritise", "sensitive to", "estimates", "or buy", "build our own",
    "compare", "comparison", "versus", "choosing between", "choose between", "deciding between", "decide between",
    "either", "which option", "better deal", "worth it", "best speedup",
    # de, fr, es, pt, it, nl, pl, ru
    "vor und nachteile", "abwägung", "abwägen", "sollten wir", "was ist besser", "empfehlung", "empfiehlst",
    "qué es mejor", "cuál es mejor", "recomendación", "recomiendas", "lequel est meilleur", "qu'est ce qui est mieux",
    "recommandation", "qual é melhor", "recomendação", "quale è meglio", "raccomandazione", "co jest lepsze",
    "rekomendacja", "что лучше", "рекомендация", "wat is beter", "aanbeveling", "plane", "planen", "schätze",
    "vergleiche", "avantages et inconvénients", "compromis", "devrions nous", "planifier", "estime",
    "comparer", "ventajas y desventajas", "pros y contras", "deberíamos", "estima", "compara",
    "prós e contras", "vantagens e desvantagens", "devemos", "planejar", "pro e contro",
    "vantaggi e svantaggi", "dovremmo", "confronta", "stima", "voor en nadelen", "moeten we",
    "plannen", "vergelijk", "zalety i wady", "plusy i minusy", "porównaj", "oszacuj",
    "плюсы и минусы", "за и против", "стоит ли", "сравни", "сравните", "оцени",
)
# "Should I …" weighs options when an "or" follows.
SHOULD = phrases("er det best", "er det bedre", "är det bättre", "ist es besser", "is it best", "দুইটা অপশন",
                  "should i", "should we", "moet ik", "moeten we", "dois je", "debo", "devo", "soll ich", "sollen wir",
                  "czy powinienem", "czy powinnam", "мне стоит", "чи варто", "haruskah", "nên")
OR = frozenset("or oder ou o of czy или або atau یا أو veya hay eller nebo vagy vai নাকি".split())
# Setting up a problem: each distinct one is worth one.
REASONING_WEAK = phrases(
    "analyze", "analyse", "analysis", "strategy", "architecture", "design", "constraints", "constraint",
    "schedule", "migrate", "migration", "scalability", "consistency", "throughput", "risks", "decide",
    "justify", "why", "optimal", "minimize", "maximize", "minimise", "maximise", "assumptions", "assume",
    "suppose", "given that", "each", "every", "only", "at least", "at most", "exactly", "must", "cannot",
    "can't", "never", "different", "wrong", "chance", "odds", "likely", "how many days", "how long until",
    "how far", "what if", "options", "requirements", "sometimes", "randomly", "at random", "partition",
    "outage", "retries", "concurrently", "threads", "goroutines", "timeout", "time out", "expires",
    "analysiere", "analyser", "analysez", "analiza", "analise", "analizza", "analyseer", "przeanalizuj",
    "проанализируй", "فقط", "حداکثر", "حداقل", "على الأكثر", "only once", "only one", "exactly one", "at the same time", "fair way", "fairly",
    "fewest", "least number", "in what order", "what do i see", "один раз", "explain why", "twice", "times as", "half as", "so alt wie", "doppelt", "viermal", "dreimal",
    "deux fois", "el doble", "il doppio", "in total", "together", "altogether", "remaining", "left over",
    "pourquoi", "por qué", "warum", "perché", "dlaczego", "почему", "waarom", "varför", "proč", "mengapa",
    "क्यों", "समझाइए", "لماذا", "strategie", "architektur", "jeder", "jede", "nur", "stratégie", "chaque", "seulement", "estrategia",
    "cada", "solo", "estratégia", "apenas", "strategia", "ogni", "ognuno", "solo", "każdy", "tylko",
    "стратегия", "архитектура", "каждый", "только", "все", "неверны",
)
CJK_REASONING_STRONG = ("거짓말쟁이", "진실만", "嘘つき", "说谎", "说真话", "何通り", "多少种", "몇 가지", "証明", "パズル", "なぞなぞ", "確率", "ステップバイステップ", "段階的に", "证明", "谜题", "谜语",
                         "概率", "一步一步", "逐步", "증명", "퍼즐", "수수께끼", "확률", "단계별")
CJK_REASONING_DECIDE = ("怎么选", "选一个", "还是", "どちら", "べきか", "選ぶ", "어느 것", "선택", "나을까", "メリットとデメリット", "長所と短所", "トレードオフ", "ロードマップ", "計画", "比較", "優缺点",
                         "优缺点", "利弊", "权衡", "路线图", "计划", "规划", "对比", "장단점", "트레이드오프", "로드맵",
                         "계획", "비교", "推定", "估算", "추정")
CJK_REASONING_WEAK = ("一番", "より", "顺序", "最少", "理由", "なぜ", "为什么", "原因", "이유", "왜", "リスク", "风险", "리스크", "優先順位", "优先级",
                       "우선순위", "戦略", "アーキテクチャ", "分析", "移行", "手順", "策略", "架构", "分析", "迁移", "步骤", "전략",
                       "아키텍처", "분석", "마이그레이션", "단계")
# Questions about numbers themselves: with a figure in the prompt they are mathematics.
NUMBER_THEORY = phrases("solve", "significant", "statistically", "standard deviation", "variance", "area",
                         "perimeter", "rectangle", "triangle", "circle", "radius", "diameter", "volume of",
                         "prime", "primes", "divisible", "divide by", "divided by", "multiply by", "the answer be",
                         "mean of", "average of", "median of", "integer", "integers", "natural number", "dělitelné", "factorial", "trailing zeros", "next number", "sequence",
                         "remainder", "gcd", "lcm", "digits", "perfect square", "fibonacci", "modulo", "angle between",
                         "primzahl", "nombre premier", "número primo", "numero primo", "простое число")
CJK_NUMBER_THEORY = ("素数", "质数", "소수")
# A question asking for a quantity: with several figures and a set-up it is a word problem.
QUANTITY = phrases("how many", "how much", "how old", "number of", "mekkora", "mennyi", "hány", "kuinka paljon",
                    "hvor mange", "hvor meget", "ilan", "magkano", "how long", "how far", "how fast", "how thick", "how big",
                    "how heavy", "how tall", "how high", "how deep", "скільки", "כמה", "πόσα", "πόσο", "πόσες",
                    "πόσοι", "what time", "which is more",
                    "which is cheaper", "what's the best", "what is the best", "maximum", "minimum", "wie viele",
                    "wie viel", "wie alt", "wie lange", "combien", "quel âge", "cuántos", "cuántas", "cuánto", "qué edad",
                    "quantos", "quantas", "quanto", "quanti", "quante", "hoeveel", "ile", "сколько", "kolik", "berapa",
                    "bao nhiêu", "kaç", "hur många", "कितने", "कितना", "कितनी", "كم")
CJK_QUANTITY = ("何人", "何歳", "何分", "何時", "いくつ", "多少", "几", "몇", "얼마")
# Asking for the reasons behind an answer: with a question of quantity or order it is a puzzle.
JUSTIFY = phrases("explain why", "explain your answer", "explain the reasoning", "justify", "show why", "show how",
                   "show the steps", "show your steps", "explain each case", "explain each step", "وضح", "وضّح",
                   "اشرح", "giải thích", "vysvětli", "εξήγησε", "הסבר", "поясни", "açıkla", "jelaskan", "समझाइए", "spiega perché",
                   "explique pourquoi", "erkläre warum", "begründe", "explica por qué", "explique por que",
                   "объясни почему", "uzasadnij", "leg uit waarom")
CJK_JUSTIFY = ("理由", "为什么", "이유", "考え方", "思路", "풀이")
ASKS_WHICH = phrases("who", "which", "what order", "qui", "quién", "quem", "chi", "wer", "кто", "kto")
CJK_ASKS_WHICH = ("誰", "谁", "누구", "どれ", "哪")
SYLLOGISM = re.compile(r"(?i)\ball\s+\w+\s+are\b.{0,80}\bsome\b|\bsome\s+\w+\s+are\b.{0,80}\ball\b")
QUESTION_WORDS = phrases("which", "what", "how", "when", "where", "who", "find", "do we", "does it", "is it",
                          "would we", "can we", "should we", "did", "am i")
# Figures written as words count too (English, where prompts spell small numbers most).
NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve twenty hundred thousand "
                          "twice double half zwei drei doppelt deux trois dos tres dois três due tre "
                          "ثلاثة اثنان ضعف أضعاف".split())
# Thai asks with particles inside its unspaced words: 'how much', 'how many', 'or not', 'how'.
UNSPACED_QUESTION_MARKS = ("เท่าไร", "เท่าไหร่", "กี่", "ไหม", "อย่างไร")
WORD_PROBLEM_WORDS = 12
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
SENTENCE_END = re.compile(r"[.?!。？！]\s")
REASONING_SCORE = 3

# --- creative ----------------------------------------------------------------------------

CREATIVE = phrases(
    "poem", "poems", "haiku", "limerick", "sonnet", "verse", "rhyme", "rhyming", "story", "short story",
    "fairy tale", "bedtime story", "fable", "slogan", "slogans", "tagline", "taglines", "joke", "jokes", "pun",
    "puns", "lyrics", "song", "rap", "ballad", "names for", "name ideas", "product names", "brand names",
    "catchphrase", "toast", "birthday message", "birthday card", "caption", "captions", "wedding speech", "screenplay", "dialogue", "monologue", "plot", "character",
    "eslogan", "eslóganes", "eslogans", "lema", "werbespruch", "slogans", "gedicht", "geschichte", "witz", "reim", "poème", "histoire", "blague", "chanson", "poema", "cuento",
    "historia", "chiste", "canción", "poesia", "história", "piada", "canção", "poesia", "storia", "barzelletta",
    "canzone", "gedicht", "verhaal", "grap", "wiersz", "opowiadanie", "żart", "стихотворение", "стих",
    "рассказ", "сказку", "сказка", "шутку", "анекдот", "песню", "тост",
)
CJK_CREATIVE = ("标语", "宣传语", "广告语", "문구", "キャッチコピー", "詩", "俳句", "物語", "ジョーク", "歌詞", "小説", "诗", "故事", "笑话", "歌词", "口号", "시를", "시 ",
                 "이야기", "농담", "가사")

# --- light -------------------------------------------------------------------------------

# Small talk: a short message that opens with one of these and asks nothing else.
GREETINGS = frozenset("""
hi hello hey hiya yo thanks thank thx ty cheers ok okay k yes no yep nope sure great cool nice awesome perfect
bye goodbye good morning evening night gm howdy welcome np appreciated brilliant excellent lovely wonderful
hallo danke moin tschüss servus bonjour salut merci coucou hola gracias buenas olá oi obrigado obrigada ciao
grazie buongiorno dank bedankt hoi cześć dzięki dziękuję hej tack привет спасибо здравствуйте пока merhaba
teşekkürler habari jambo asante salamat magandang kiitos moi szia köszönöm tak takk hej mulțumesc bună
ধন্যবাদ வணக்கம் நன்றி धन्यवाद شکریہ تودה תודה שלום صباح مساء ping สวัสดี สวัสดีครับ สวัสดีค่ะ ขอบคุณ ขอบคุณครับ ขอบคุณค่ะ lol haha hahaha lmao wow omg oh ah hmm sweet terima makasih halo selamat ahoj děkuji díky
cảm xin chào namaste नमस्ते धन्यवाद शुक्रिया مرحبا شكرا السلام
""".split())
CJK_GREETINGS = ("こんにちは", "こんばんは", "おはよう", "ありがとう", "どうも", "你好", "谢谢", "您好", "早上好", "안녕",
                  "감사합니다", "고맙습니다")
CHATTER_MAX_WORDS = 80
# Greetings of scripts written without spaces open the first "word" ('ขอบคุณมากค่ะ').
GREETING_STARTS = ("ขอบคุณ", "สวัสดี", "ধন্যবাদ", "வணக்கம்", "நன்றி", "شکریہ", "شكرا", "صباح", "תודה")
# Words that open a reply as often as they open small talk.
ACKNOWLEDGEMENTS = frozenset("ok okay k yes no yep nope sure great cool nice awesome perfect so".split())
# The questions small talk asks.
PLEASANTRIES = phrases("how are you", "how's it going", "hows it going", "how are things", "what's up", "whats up",
                        "how have you been", "wie geht's", "wie gehts", "wie geht es", "ça va", "ca va", "qué tal",
                        "que tal", "como estás", "tudo bem", "come stai", "hoe gaat het", "jak się masz", "как дела",
                        "how r u", "hur mår du", "jak se máš", "apa kabar", "nasılsın", "kaise ho", "कैसे हो",
                        "كيف حالك", "comment vas tu", "comment allez vous")
# How a short factual question opens: looked for in its first words only ('who is' in "a coworker
# who is obsessed with coffee" opens nothing).
LIGHT_OPENERS = phrases(
    "who wrote", "who invented", "who painted", "who discovered", "who directed", "who was", "who is", "who won",
    "who founded", "who composed", "who sang", "when did", "when was", "when is", "where is", "where was",
    "what year", "how many", "how much is", "how tall", "how far", "how old", "how long is", "how big", "how deep",
    "how high", "how heavy", "what is the", "what's the", "whats the", "what do you call", "what color",
    "what colour", "what time", "which country", "which planet", "which ocean", "what language", "what port",
    "which port", "which is bigger", "which is larger", "which is smaller", "which is taller", "which is older",
    "which is longer", "which is heavier", "which is hotter", "which is colder", "which is deeper",
    "which came first", "is it true",
    # de, fr, es, pt, it, nl, pl, cs, sv, tr, ru, uk, el, he, ar, hi, bn, id, vi
    "wer hat", "wer war", "wann", "wie viele", "wie viel", "wie hoch", "wie alt", "wie lang", "wie weit",
    "was bedeutet", "was heißt", "welches ist", "welcher ist", "qui a", "quand", "combien", "c'est quoi",
    "quel est", "quelle est", "que veut dire", "que signifie", "quién", "cuándo", "cuántos", "cuántas", "cuánto",
    "cuál es", "qué significa", "quem", "quando", "quantos", "quantas", "quanto", "qual é", "o que significa",
    "chi ha", "quanti", "quante", "qual è", "cosa significa", "wie heeft", "hoeveel", "wat betekent", "kto",
    "kiedy", "ile", "co znaczy", "kdo", "kdy", "kolik", "co znamená", "hur många", "hur mycket", "vad betyder",
    "kaç", "hangisi", "kailan", "ano ang", "sino", "ilan", "magkano", "apa maksud", "bila", "hvor mange", "hvor mye",
    "hvor meget", "hvad betyder", "hva betyr", "hvem", "hvornår", "når", "mennyi", "hány", "mit jelent", "mikor",
    "montako", "kuinka", "mitä tarkoittaa", "kuka", "milloin", "omtrent hvor", "кто", "когда", "сколько", "что значит", "что означает", "скільки", "ποιος", "ποια",
    "πότε", "πόσα", "πόσο", "מה זה", "מי", "כמה", "من هو", "متى", "كم", "कौन", "कब", "कितना", "कितने", "কী",
    "কে", "কবে", "siapa", "kapan", "berapa", "apa arti", "ai là", "bao nhiêu",
)
OPENER_WORDS = 4
UNIT_PAIR_CHARS = 60
CLAUSE_END = re.compile(r"[.!?:;。？！]")
# Shapes of a short factual question anywhere in it: a capital, a definition, a comparison of
# measurable facts, a spelling, a conversion, a fun fact.
LIGHT = phrases(
    "capital of", "mean", "means", "define", "definition of", "meaning of", "synonym", "synonyms", "antonym",
    "opposite of", "plural of", "another word for", "word for", "spell", "spelling", "how do you say",
    "how do i say", "translate", "in spanish", "in french", "in german", "in italian", "in japanese",
    "in chinese", "convert", "yes or no", "true or false", "stand for", "taller", "higher", "bigger", "larger",
    "older", "heavier", "heights", "largest", "smallest", "tallest", "longest", "fastest", "population of",
    "boiling point", "freezing point", "speed of", "chemical symbol", "currency of", "abbreviation",
    "latest version", "release date", "fun fact", "random fact", "fact about", "how many days",
    "plus haut", "plus grand", "le plus", "la plus", "más alto", "más grande", "más rápido", "el más", "la más",
    "höher", "größer", "älter", "der längste", "die längste", "das längste", "più alto", "più lungo",
    "più grande", "il più", "la più", "mais alto", "o mais", "a mais", "выше", "самый", "самая", "en uzun",
    "en büyük", "thủ đô", "ibu kota", "hauptstadt", "capitale", "capital de", "hoofdstad", "stolica",
    "столица", "huvudstad", "başkent", "başkenti", "moeda", "nedir",
    "ibig sabihin", "ni nini", "ngapi", "kwa kiswahili", "sa tagalog", "στα", "maksud", "normal range",
    "rate for", "what temp", "what temperature",
    "wie sagt man", "übersetze", "comment dit on", "traduis", "traduire", "cómo se dice", "traduce", "traducir",
    "como se diz", "traduza", "come si dice", "traduci", "hoe zeg je", "vertaal", "jak powiedzieć",
    "przetłumacz", "как сказать", "переведи",
)
CJK_LIGHT = ("영어로", "뭐라고", "英語で", "日本語で", "一言で", "何と言", "用英语", "怎么说", "首都", "誰が", "いつ", "高さ", "何メートル", "何キロ", "いくつ", "何ですか", "とは", "意味", "翻訳", "訳して",
              "谁", "什么时候", "多少", "几", "什么意思", "是什么", "翻译", "수도", "누가", "언제", "몇", "얼마",
              "뜻", "번역")
# "72 F in C", "5 miles to km", "10 mil w kilometrach": a number, a unit, then another unit.
CONVERSION = re.compile(
    r"(?i)\d[\d.,]*\s*(?:°\s*)?(?:[^\W\d_]{1,14}\.?\s+)?(?:in|to|into|en|em|na|nach|para|a|à|w|i|op|till|в|に)\s+"
    r"(?:°\s*)?([^\W\d_]{1,14})"
)
# Units by the start of their names in several languages (one or two letters must match whole).
UNIT_STEMS = tuple("""kilom kilog kilo meter metre metr mile mil meil feet foot fuß pie inch zoll pulg yard pound
libra pfund ounce onz gram litr liter litre gallon galon cup tasse taza tbsp tsp celsius fahr kelvin mph kph knot
acre hect byte bit hour minut second week year stund heure jour hora dollar euro yen grad degree stopn км мил
метр фут градус кило литр фунт""".split())
UNITS = frozenset("km m cm mm mi ft in yd kg g lb lbs oz l ml dl c f k kb mb gb tb s h min usd eur gbp".split())


# "What's 15% of 80?", "12*7", "calculate 3.5 + 4.2": a sum to work out.
ARITHMETIC = re.compile(r"(?i)^\W*(?:what's|whats|what is|calculate|compute)?[\s\d.,%+\-*/x×÷^()=]*(?:of[\s\d.,]+)?\??$")
# Word starts of "capital (city)" in several languages: inflected forms ("huvudstaden") match too.
CAPITAL_STEMS = ("پایتخت", "בירת", "πρωτεύουσα", "capital", "hauptstadt", "huvudstad", "hoofdstad", "stolic", "столиц", "başkent", "capitale",
                  "hlavní", "राजधानी", "عاصمة")


# Units by the start of their names in other scripts, for conversions written without a figure's
# usual connector ('১ মাইল সমান কত কিলোমিটার?', '1 ปอนด์เท่ากับกี่กรัม').
UNIT_WORDS = ("pauni", "kilo", "মাইল", "কিলোমিটার", "মিটার", "ফুট", "পাউন্ড", "গ্রাম", "ปอนด์", "กรัม", "กิโล", "เมตร",
               "ไมล์", "ฟุต", "นิ้ว", "ลิตร", "metri", "syli", "fod", "fot", "tomme", "pund", "gramm", "mil", "km",
               "英里", "公里", "英尺", "磅", "公斤", "マイル", "キロ", "フィート", "ポンド", "グラム", "마일", "킬로", "피트",
               "파운드", "그램", "мил", "километр", "фунт", "грам")


PRODUCE = phrases(  # asking for a made thing: not a light turn however short
    "write", "draft", "explain", "describe", "summarize", "summarise", "list", "outline", "create", "generate",
    "help", "review", "improve", "rewrite", "plan", "why", "how does", "how do i", "how can", "tips",
    "advice", "difference between", "difference", "how do", "what causes", "cause of", "vs", "versus",
    "compare", "dicas", "consejos", "conseils", "tipps", "consigli", "differenza", "diferencia", "différence",
    "unterschied", "diferença", "verschil", "różnica", "разница", "wie funktioniert", "wie funktionieren", "warum", "comment",
    "pourquoi", "cómo", "como", "por qué", "come funziona", "perché", "hoe werkt", "waarom", "jak działa",
    "dlaczego", "как работает", "почему", "hur fungerar", "varför", "recipe", "recipes", "recipie", "how to make", "ideas",
    "придумай", "ช่วย", "สรุป", "อธิบาย", "เขียน", "erkläre", "schreibe", "explique", "écris", "explica", "escribe", "explique",
    "escreva", "spiega", "scrivi", "leg uit", "wyjaśnij", "объясни", "напиши",
)
# Someone telling how they feel, or asking what a thing is: advice and explanation, not a problem to solve.
EVERYDAY_TALK = phrases("i feel", "i'm worried", "im worried", "worried", "scared", "anxious", "upset", "stressed",
                         "overwhelmed", "what should i do", "explain what", "erklären was", "erkläre was",
                         "expliquer ce que", "explica qué", "spiegami cosa", "объясни что")
MAKE_TEXT = phrases("write", "draft", "rewrite", "summarize", "summarise", "list", "outline", "generate",
                     "create", "translate", "tips", "advice", "email", "letter", "post", "message")
CJK_PRODUCE = ("説明", "書いて", "まとめ", "解释", "说明", "写", "总结", "설명", "작성", "요약", "정리")
TRANSLATE = phrases("time difference", "what time is it", "qué hora", "que hora", "q hora", "utc offset",
                     "time zone", "timezone", "default port", "port par défaut", "en qué año", "em que ano",
                     "in welchem jahr", "en quelle année", "in che anno", "в каком году", "shortcut", "hotkey",
                     "translate", "перекладіть", "переклади", "переведите", "çevir", "terjemahkan", "dịch",
                     "अनुवाद", "ترجم", "ترجمه", "תרגם", "μετάφρασε", "how do you say", "how do i say", "how do u say",
                     "spell", "spelling", "übersetze", "traduis", "traduce", "traduza", "traduci", "vertaal",
                     "przetłumacz", "переведи",
                     # comparisons of measurable facts: light even though they compare
                     "taller", "higher", "bigger", "larger", "older", "heavier", "heights", "which is longer",
                     "which is bigger", "which is larger", "which is taller", "which is older", "which is heavier")
# A yes/no question of fact: "Is Pluto a planet?", "do penguins live in the arctic".
YES_NO = re.compile(r"(?i)^(?:is|are|was|were|do|does|did|can|could|has|have|will)\s+\w+")
# Explaining a tool is not writing code with it.
EXPLAIN = phrases("explain", "what is", "what's", "whats", "what are", "difference between", "how does",
                   "overview", "stand for", "history of", "no code", "at a high level", "in plain terms",
                   "non technical", "analogy", "erkläre", "explique", "explica", "spiega", "объясни")
# Names of programming languages among the tools a request names (for `code_language` rules).
LANGUAGE_NAMES = frozenset("""python javascript typescript java kotlin scala rust golang ruby php perl swift haskell
elixir erlang clojure lua dart julia sql bash shell zsh powershell html css yaml json""".split())
DEFINITION = phrases("stand for", "meaning of", "define")
ASCII_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#]*")
LIGHT_MAX_WORDS = 16
YES_NO_MAX_WORDS = 10
# Six words or fewer that ask for nothing to be made: most such prompts, in any language, are light.
SHORT_QUESTION_WORDS = 6
# The languages whose words for asking how, why or for a made thing PRODUCE holds.
READ_LANGUAGES = frozenset("en de fr es pt it nl pl sv ru".split())
LIGHT_MAX_CJK_CHARS = 40
