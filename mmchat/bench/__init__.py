"""`mmchat bench`: a suite of prompts over several models, checked, judged and reported.

suite.py holds the suite's records; suite_file.py reads a suite file (one-line
errors with file, line and key); checks.py decides each check on an answer;
judge.py builds a judge model's request and reads its verdict; from_history.py
builds a suite from stored prompts; runner.py runs the cases (bounded
concurrency, rate limits, resume) through the session into the bench's own
store; report.py and report_html.py turn a run's results into tables, the
cheapest model meeting the bar, and a self-contained HTML page.
"""
