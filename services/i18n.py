"""UI text in English and Chinese. ``t(key, lang, **params)`` formats one message."""

from __future__ import annotations

from typing import Any

LANGS = ("en", "zh")
DEFAULT_LANG = "en"

TEXT: dict[str, dict[str, str]] = {
    # nav and shell
    "nav.home": {"en": "Home", "zh": "首页"},
    "nav.query": {"en": "Query", "zh": "查询"},
    "nav.language": {"en": "Language", "zh": "语言"},
    # home
    "home.title": {"en": "See your sensors — and the concurrency behind them",
                   "zh": "看见传感器，也看见背后的并发"},
    "home.lead": {
        "en": "looplens reads temperature and humidity from a fleet of stations through "
              "an asyncio sensor service and worker processes, and shows how each reading "
              "travelled: which process, which engine, how many attempts, how long.",
        "zh": "looplens 通过异步传感器服务和工作进程读取各站点的温度与湿度，"
              "并展示每条读数的来历：哪个进程、哪种引擎、尝试了几次、用了多久。",
    },
    "home.query.title": {"en": "Query a station", "zh": "查询站点"},
    "home.query.body": {
        "en": "Type a city or sensor id (北京, Shanghai, lab-1 …) and get its current reading, "
              "fetched by an async client inside a worker process.",
        "zh": "输入城市或传感器编号（北京、Shanghai、lab-1 …），由工作进程中的异步客户端取回当前读数。",
    },
    "home.query.link": {"en": "Open Query →", "zh": "打开查询 →"},
    "home.soon.title": {"en": "Coming next", "zh": "即将推出"},
    "home.soon.body": {
        "en": "Live sensor charts, a live trace of the event loop, and a concurrency lab.",
        "zh": "实时传感器图表、事件循环实时追踪，以及并发实验室。",
    },
    # query page
    "query.title": {"en": "Query a station", "zh": "查询站点"},
    "query.help": {
        "en": "Chinese or English names, any case; for example 北京, Shanghai, Xi'an, lab-1.",
        "zh": "中文或英文名称均可，不区分大小写；例如 北京、Shanghai、Xi'an、lab-1。",
    },
    "query.placeholder": {"en": "City or station, e.g. Beijing", "zh": "城市或站点，例如 北京"},
    "query.submit": {"en": "Get reading", "zh": "查询"},
    "query.cancel": {"en": "Cancel", "zh": "取消"},
    "query.retry": {"en": "Retry", "zh": "重试"},
    "query.sentence": {
        "en": "Current temperature {temperature:.1f} °C, humidity {humidity:.1f} %",
        "zh": "当前温度为{temperature:.1f}℃,湿度为{humidity:.1f}%",
    },
    "query.observed": {"en": "{station} · observed {time}", "zh": "{station} · 观测于 {time}"},
    "query.progress": {
        "en": "Fetching {station} in worker process {pid} — attempt {attempt} of {total}…",
        "zh": "工作进程 {pid} 正在获取 {station} —— 第 {attempt}/{total} 次尝试…",
    },
    "query.starting": {"en": "Starting a worker process…", "zh": "正在启动工作进程…"},
    "prov.web_pid": {"en": "Web process", "zh": "Web 进程"},
    "prov.worker_pid": {"en": "Worker process", "zh": "工作进程"},
    "prov.engine": {"en": "Engine", "zh": "引擎"},
    "prov.attempts": {"en": "Attempts", "zh": "尝试次数"},
    "prov.latency": {"en": "Latency", "zh": "延迟"},
    # errors: one per services.errors code, plus the page's own
    "error.empty": {"en": "Type a city or station name first.", "zh": "请先输入城市或站点名称。"},
    "error.too_long": {
        "en": "That is {length} characters; a station name is at most {limit}.",
        "zh": "输入有 {length} 个字符，站点名称最多 {limit} 个字符。",
    },
    "error.unknown_station": {
        "en": "No station is called “{query}”.", "zh": "没有名为“{query}”的站点。"},
    "error.suggest": {"en": "Did you mean: {names}?", "zh": "您是不是要找：{names}？"},
    "error.known": {"en": "Known stations include: {names}.", "zh": "已知站点包括：{names}。"},
    "error.sensor_timeout": {
        "en": "The sensor service did not answer in time ({attempts} attempts).",
        "zh": "传感器服务未能及时响应（已尝试 {attempts} 次）。",
    },
    "error.sensor_unavailable": {
        "en": "The sensor service cannot be reached ({attempts} attempts). It may be down.",
        "zh": "无法连接传感器服务（已尝试 {attempts} 次），服务可能已停止。",
    },
    "error.sensor_server_error": {
        "en": "The sensor service reported an error ({attempts} attempts).",
        "zh": "传感器服务返回了错误（已尝试 {attempts} 次）。",
    },
    "error.sensor_bad_payload": {
        "en": "The sensor service sent a reading we could not understand ({attempts} attempts).",
        "zh": "传感器服务返回的读数无法解析（已尝试 {attempts} 次）。",
    },
    "error.station_not_found": {
        "en": "The sensor service does not know this station.", "zh": "传感器服务不认识这个站点。"},
    "error.cancelled": {"en": "Query cancelled.", "zh": "查询已取消。"},
    "error.internal": {
        "en": "Something went wrong on our side; it has been logged. Please retry.",
        "zh": "服务器内部出错，已记录日志。请重试。",
    },
    # 404
    "404.title": {"en": "Page not found", "zh": "页面不存在"},
    "404.body": {"en": "There is no page at this address.", "zh": "这个地址没有页面。"},
    "404.home": {"en": "Back to Home", "zh": "返回首页"},
}


def t(key: str, lang: str, **params: Any) -> str:
    """The message ``key`` in ``lang`` (English if missing), formatted with ``params``."""
    entry = TEXT.get(key) or TEXT["error.internal"]
    template = entry.get(lang) or entry[DEFAULT_LANG]
    try:
        return template.format(**params)
    except (KeyError, ValueError, IndexError):
        return template
