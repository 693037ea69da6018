"""Which trace service a page's loop is: agents from the settings and from the page's
book, their URL and token checked, the book bounded; an agent's own code is the program's."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from services.core.errors import TraceRefused
from services.core.settings import Settings, TraceAgent
from services.tracing import agents
from services.tracing.agents import AgentBook, checked_token, checked_url, endpoint, known_loop
from services.tracing.program import program_file


@pytest.mark.parametrize(
    "text, url",
    [
        ("http://127.0.0.1:40171", "http://127.0.0.1:40171"),
        (" http://127.0.0.1:40171/trace ", "http://127.0.0.1:40171"),  # as the agent prints it
        ("https://box.lan:9/", "https://box.lan:9"),
        ("127.0.0.1:40171", "http://127.0.0.1:40171"),  # plain HTTP, as the placeholder shows
        ("http://127.0.0.1", None),  # no port
        ("ftp://127.0.0.1:21", None),
        ("http://127.0.0.1:99999", None),
        ("http://user:pw@127.0.0.1:4000", None),
        ("http://127.0.0.1:4000/else", None),
        ("", None),
        (None, None),
        ("http://" + "a" * 300 + ":1", None),
    ],
)
def test_an_agents_url_is_http_host_and_port_or_a_clear_refusal(text, url):
    if url is None:
        with pytest.raises(TraceRefused) as refused:
            checked_url(text)
        assert refused.value.code == "trace.err.agent_url"
    else:
        assert checked_url(text) == url


def test_a_token_is_one_word_of_at_most_200_characters():
    assert checked_token(" abc-DEF_1 ") == "abc-DEF_1"
    for bad in ("", None, "two words", "x" * 201):
        with pytest.raises(TraceRefused, match="trace.err.agent_token_form"):
            checked_token(bad)


def test_loops_are_the_apps_own_or_agent_keys_and_anything_else_is_the_collectors():
    assert [known_loop(x) for x in ("sensor", "agent:s0", "agent:pAbc_-1")] == ["sensor", "agent:s0", "agent:pAbc_-1"]
    assert {known_loop(x) for x in ("agent:", "agent:../x", "elsewhere", None, 5, "agent:" + "a" * 41)} == {"collector"}


def test_settings_agents_and_booked_agents_resolve_to_their_url_and_token(tmp_path):
    shop = TraceAgent(url="http://127.0.0.1:4001", token=SecretStr("t1"), name="shop")
    settings = Settings(data_dir=tmp_path, trace_agents=(shop, TraceAgent(url="http://h:4002", token=SecretStr("t2"))))
    book = AgentBook(tmp_path / "book")
    key = book.add("http://127.0.0.1:4003", "t3")
    assert endpoint(settings, book, "agent:s0") == agents.Endpoint("http://127.0.0.1:4001", "t1", True, "shop")
    assert endpoint(settings, book, "agent:s1").label == "h:4002"  # no name: its host:port
    assert endpoint(settings, book, f"agent:{key}") == agents.Endpoint(
        "http://127.0.0.1:4003", "t3", True, "127.0.0.1:4003"
    )
    assert not endpoint(settings, book, "collector").agent
    for gone in ("agent:s2", "agent:pnothing"):
        with pytest.raises(TraceRefused, match="trace.err.agent_unknown"):
            endpoint(settings, book, gone)
    assert "t1" not in repr(settings)  # a secret: never in a log line


def test_the_book_keeps_the_newest_agents_and_counts_those_it_let_go(tmp_path, monkeypatch):
    monkeypatch.setattr(agents, "KEPT", 3)
    book = AgentBook(tmp_path / "book")
    keys = [book.add(f"http://127.0.0.1:{4000 + i}", f"t{i}") for i in range(5)]
    assert [book.get(k) is not None for k in keys] == [False, False, True, True, True]
    assert book.statistics() == {"size": 3, "dropped": 2}
    assert AgentBook(tmp_path / "book").get(keys[-1]) == ("http://127.0.0.1:4004", "t4")  # another worker's view


def test_a_programs_own_files_are_its_code_and_libraries_and_looplens_are_not(tmp_path):
    assert program_file(str(tmp_path / "shop.py"))
    assert not program_file(pytest.__file__)  # an installed package
    assert not program_file(agents.__file__)  # looplens's own
    assert not program_file("<frozen runpy>") and not program_file("")
