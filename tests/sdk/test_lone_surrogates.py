"""Text UTF-8 cannot encode (lone surrogates, e.g. from a bytes decode with
``errors="surrogateescape"``) in a span name, attribute, event, status or captured
input: the span arrives with those characters as U+FFFD, and so does every other span
of its batch (one such string used to fail the whole batch's encoding: all lost)."""

from __future__ import annotations


def test_a_lone_surrogate_costs_nothing_but_itself(sdk, client):
    assert sdk.flush(30)
    failed = sdk.stats().failed  # counters are the process's: earlier tests count too
    good = []
    for n in range(3):
        with sdk.start_span(f"fine-{n}") as span:
            pass
        good.append(span.trace_id)

    @sdk.trace(name="echo")
    def echo(text: str) -> str:
        return text

    with sdk.start_span("bad\ud800name") as bad:
        bad.set_attribute("k\udc00", "v\udc00")
        bad.set_attribute("list", ["a\ud800", "b"])
        bad.record_exception(ValueError("broken\ud800"))
        bad.add_event("event\ud800", {"e": "x\ud800"})
        bad.set_status("ERROR", "broken\udfff")
        echo("\ud800 lone")
    assert sdk.flush(30)
    assert sdk.stats().failed == failed

    assert all(client.get_trace(t) is not None for t in good)
    spans = {s.name: s for s in client.get_trace(bad.trace_id).data.spans}
    root = spans["bad\ufffdname"]
    assert root.attributes["k\ufffd"] == "v\ufffd"
    exception, event = root.events
    assert exception.attributes["exception.message"] == "broken\ufffd"
    assert (event.name, dict(event.attributes)) == ("event\ufffd", {"e": "x\ufffd"})
    assert root.status == "ERROR"
    assert spans["echo"].inputs == {"text": "\ufffd lone"}


def test_run_events_with_a_lone_surrogate_arrive_with_the_rest(sdk, client):
    with sdk.start_run(run_name="run\ud800") as run:
        sdk.log_param("good", "1")
        sdk.log_param("bad", "x\ud800")
        sdk.log_metric("loss", 0.5)
        sdk.set_tag("t\udc00", "v")
    assert sdk.flush(30)
    found = client.get_run(run.info.run_id)
    assert found is not None and found.info.run_name == "run\ufffd"
    assert found.data.params == {"good": "1", "bad": "x\ufffd"}
    assert found.data.metrics == {"loss": 0.5}
    assert found.data.tags["t\ufffd"] == "v"
