"""The pages' building blocks."""

from views.controls import graph


def test_a_graph_waiting_for_its_first_figure_draws_no_meaningless_axes():
    figure = graph("g", {"height": 300, "template": "plotly_white"}).figure
    assert figure["data"] == [] and figure["layout"]["height"] == 300
    assert figure["layout"]["xaxis"] == {"visible": False} and figure["layout"]["yaxis"] == {"visible": False}
