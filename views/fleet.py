"""The Fleet page's markup: the table's columns in a language, AG Grid's own words in
each, and the heat strip's figure. Built from data; no store is opened here."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import numpy as np
import plotly.graph_objects as go
from dash import dcc

import ids
from services.core.i18n import DEFAULT_LANG, LANGS, t
from services.fleet.heat import HeatStrip
from services.live.view import x_value
from services.sensors.stations import Station
from views.controls import graph_config
from views.i18n import date_axis

ANY = "*"  # the filters' "all": an empty value would read as "nothing chosen"
ROW_HEIGHT = 36


def _number(field: str, lang: str, width: int = 100, digits: int = 1) -> dict[str, Any]:
    return {
        "field": field,
        "headerName": t(f"fleet.col.{field}", lang),
        "type": "rightAligned",
        "valueFormatter": {"function": f"params.value == null ? '–' : params.value.toFixed({digits})"},
        "filter": "agNumberColumnFilter",
        "width": width,
        "minWidth": 70,
    }


def column_defs(lang: str) -> list[dict[str, Any]]:
    """The table's columns, titled in ``lang``. The status column sorts and filters on the
    status itself and shows it in words, with since when."""
    status = {
        "field": "status",
        "headerName": t("fleet.col.status", lang),
        "valueFormatter": {"function": "params.data ? params.data.state : ''"},
        "cellClassRules": {f"fleet-{s}": f"params.value === '{s}'" for s in ("alert", "offline", "never")},
        "minWidth": 150,
        "flex": 2,
    }
    spark = {
        "field": "spark",
        "headerName": t("fleet.col.spark", lang),
        "cellRenderer": "FleetSpark",
        "cellDataType": False,
        "sortable": False,
        "filter": False,
        "width": 120,
    }
    return [  # what a narrow screen shows first comes first: name, then the numbers and status
        {
            "field": "name",
            "headerName": t("fleet.col.name", lang),
            "width": 140,
            "pinned": "left",
            # the text box finds a sensor by its key too, so a search typed in one language
            # keeps its rows in the other (sim-0042 is 模拟-0042 in Chinese)
            "getQuickFilterText": {"function": "params.value + ' ' + params.data.id"},
        },
        _number("t", lang, 120),  # room for its title and the sort arrow
        _number("h", lang, 110, 0),
        status,
        spark,
        _number("lo", lang, 120),
        _number("hi", lang, 120),
        {"field": "source", "headerName": t("fleet.col.source", lang), "minWidth": 100, "flex": 1},
        _number("battery", lang, 110, 0),
    ]


# AG Grid's own words a user of this table may meet (its overlays, its ARIA), in Chinese.
_GRID_ZH = {
    "ariaRowSelect": "按空格键选择此行",
    "ariaRowDeselect": "按空格键取消选择此行",
    "ariaRowToggleSelection": "按空格键切换行的选择",
    "ariaRowSelectAll": "按空格键切换全选",
    "ariaChecked": "已选",
    "ariaUnchecked": "未选",
    "ariaIndeterminate": "部分已选",
    "ariaSortableColumn": "按回车键排序",
    "ariaLabelColumnMenu": "列菜单",
    "ariaLabelColumnFilter": "列筛选",
    "ariaSearch": "搜索",
    "ariaFilterInput": "筛选输入",
    "ariaFilterValue": "筛选值",
    "ariaColumnSelectAll": "切换全部列可见",
    "ariaInputEditor": "输入编辑器",
    "ariaLabelCellEditor": "单元格编辑器",
    "ariaLabelDialog": "对话框",
    "ariaLabelSelectField": "选择字段",
    "ariaLabelTooltip": "提示",
    "ariaMenuColumn": "按 ALT 加向下键打开列菜单",
    "ariaFilterColumn": "按 CTRL 加回车键打开筛选",
    "ariaHidden": "隐藏",
    "ariaVisible": "可见",
    "ariaRowSelectionDisabled": "此行不可选择",
    "ariaSkeletonCellLoadingFilled": "行加载中",
    "ariaSkeletonCellLoading": "行数据加载中",
    "ariaPageSizeSelectorLabel": "每页行数",
    "ariaChartMenuClose": "关闭",
    "ariaDropZoneColumnComponentDescription": "按删除键移除",
    "sortAscending": "升序",
    "sortDescending": "降序",
    "sortUnSort": "取消排序",
    "ariaSortAscending": "升序",
    "ariaSortDescending": "降序",
    "ariaSortNone": "不排序",
    "contains": "包含",
    "equals": "等于",
    "notEqual": "不等于",
    "lessThan": "小于",
    "greaterThan": "大于",
    "inRange": "介于",
    "filterOoo": "筛选…",
    "andCondition": "且",
    "orCondition": "或",
    "blank": "为空",
    "notBlank": "不为空",
}


def grid_words() -> dict[str, dict[str, str]]:
    """AG Grid's own words in each language. AG Grid takes them once, when it is made, so the
    grid asks ``FleetLocale`` (assets/fleet.js) each time it draws a word: that reads the page's
    language (<html lang>, set by the switch), and a switch relabels the grid instead of
    making a new one (which would lose its sort, filter, ticked rows)."""
    words = {}
    for lang in LANGS:
        overlays = {"noRowsToShow": t("fleet.no_rows", lang), "noMatchingRows": t("fleet.no_rows", lang),
                    "loadingOoo": t("fleet.loading", lang)}  # fmt: skip
        words[lang] = {**(_GRID_ZH if lang == "zh" else {}), **overlays}
    return words


def make_grid(rows: list[dict[str, Any]] | None = None) -> dag.AgGrid:
    """The table: virtualised rows, keyed by sensor, so a push updates only the rows it carries.
    Made once per visit, titled in the default language; the language switch relabels it
    (``columnDefs``, and the rows' status words from the stream)."""
    return dag.AgGrid(
        id=ids.FLEET_GRID,
        columnDefs=column_defs(DEFAULT_LANG),
        rowData=rows or [],
        getRowId="params.data.id",
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "filter": True,  # the page's own boxes set it; no menu of its own in the header
            "suppressHeaderMenuButton": True,
            "suppressHeaderFilterButton": True,
        },
        dashGridOptions={
            "context": {"words": grid_words()},
            "getLocaleText": {"function": "FleetLocale(params)"},
            "rowSelection": {"mode": "multiRow", "checkboxes": True, "headerCheckbox": False},
            "selectionColumnDef": {"pinned": "left", "width": 48, "suppressHeaderMenuButton": True},
            "rowHeight": ROW_HEIGHT,
            "animateRows": False,
            "suppressCellFocus": False,
            "ensureDomOrder": True,
            "quickFilterText": "",
            "overlayLoadingTemplate": None,
        },
        style={"height": "560px", "width": "100%"},
        className="fleet-grid",
    )


def source_choices(sources: list[str], lang: str) -> list[dict[str, str]]:
    """The source filter's choices: all, then each source by its name (plain text: a dropdown
    shows its chosen label as it was given)."""
    return [{"label": t("fleet.any", lang), "value": ANY}] + [{"label": s, "value": s} for s in sources]


def heat_graph(figure: go.Figure, lang: str) -> dcc.Graph:
    """The heat strip's graph, with its first figure. The page is drawn without it, and the
    stream puts it in once the table is drawn: loading Plotly (4.8 MB of script) and drawing
    the strip, at once with the table, put the table's first rows off by ~0.3 s. Its locale
    comes with it: a component a stream puts in starts no callback (callbacks.i18n's)."""
    return dcc.Graph(id=ids.FLEET_HEAT, figure=figure, config=graph_config(lang), className="fleet-heat")


def make_heat_figure(strip: HeatStrip, stations: dict[str, Station], lang: str) -> go.Figure:
    """Rows: the sensors that stand out (furthest on top); columns: hours; colour: °C."""
    names = np.array([stations[k].name(lang) if k in stations else k for k in strip.keys], dtype=object)
    hours = [x_value(float(h)) for h in strip.hours]  # local wall time, as on Live
    figure = go.Figure(
        go.Heatmap(
            x=hours,
            y=names,
            z=strip.z,
            colorscale="RdBu_r",
            colorbar={"title": {"text": "°C"}, "thickness": 12},
            hovertemplate=t("fleet.heat.hover", lang) + "<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    figure.update_layout(  # as tall as its box (assets/style.css: room for 40 rows)
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        yaxis={"autorange": "reversed", "automargin": True, "tickfont": {"size": 10}},
        xaxis={"type": "date", **date_axis(lang)},
    )
    return figure
