"""The pages' building blocks."""

from dash import dcc, html

from views.controls import field, graph, scroll_box


def test_a_graph_waiting_for_its_first_figure_draws_no_meaningless_axes():
    figure = graph("g", {"height": 300, "template": "plotly_white"}).figure
    assert figure["data"] == [] and figure["layout"]["height"] == 300
    assert figure["layout"]["xaxis"] == {"visible": False} and figure["layout"]["yaxis"] == {"visible": False}


def test_a_chart_with_a_summary_is_a_figure_captioned_for_screen_readers_and_shares_nothing():
    chart = graph("g", {}, summary="live.chart_summary")
    graph_part, caption = chart.children
    assert isinstance(chart, html.Figure) and isinstance(caption, html.Figcaption)
    assert caption.className == "sr-only" and "cards below" in caption.children
    assert graph_part.config["showSendToCloud"] is False  # no upload to Plotly's cloud


def test_a_choice_is_a_group_named_by_its_label_and_a_text_box_keeps_its_label():
    choice = field("live.unit", dcc.RadioItems(id="unit", options=["C", "F"]))
    label, control = choice.children
    assert isinstance(choice, html.Div) and choice.role == "group"
    assert getattr(choice, "aria-labelledby") == label.id == "unit-label" and control.id == "unit"
    pattern = field("live.unit", dcc.Checklist(id={"type": "opt", "option": "tls"}, options=["on"]))
    assert getattr(pattern, "aria-labelledby") == "opt-tls-label"
    assert isinstance(field("live.temp_low", dcc.Input(id="low")), html.Label)


def test_a_table_that_scrolls_sideways_can_be_reached_and_scrolled_by_keyboard():
    box = scroll_box(html.Table(), "Sensors")
    assert (box.tabIndex, box.role, getattr(box, "aria-label")) == ("0", "region", "Sensors")
