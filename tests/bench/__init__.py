"""Side-by-side benchmarks of Spanwise against MLflow, Langfuse and Phoenix (issue 9).

Run with `python -m tests.bench [--quick] [--only NAME] [--full]`. Never collected by pytest.
"""
