"""UI text in English and Chinese. ``t(key, lang, **params)`` formats one message."""

from __future__ import annotations

from typing import Any

LANGS = ("en", "zh")
DEFAULT_LANG = "en"

TEXT: dict[str, dict[str, str]] = {
    # nav and shell
    "nav.home": {"en": "Home", "zh": "首页"},
    "nav.query": {"en": "Query", "zh": "查询"},
    "nav.live": {"en": "Live", "zh": "实时"},
    "nav.trace": {"en": "Trace", "zh": "追踪"},
    "nav.lab": {"en": "Lab", "zh": "实验室"},
    "nav.demos": {"en": "Demos", "zh": "示例"},
    "nav.sources": {"en": "Sources", "zh": "数据源"},
    "nav.fleet": {"en": "Fleet", "zh": "总览"},
    # who may act (services.ops.guard)
    "guard.read_only": {
        "en": "Read-only: actions that change the running system are off here.",
        "zh": "只读模式：会改变运行中系统的操作在此已关闭。",
    },
    "guard.token": {
        "en": "This action needs the operator token: enter it at the top of the page.",
        "zh": "此操作需要操作员令牌：请在页面顶部输入。",
    },
    "guard.remote": {
        "en": "Actions are taken only from this machine unless an operator token is set (LOOPLENS_OPERATOR_TOKEN).",
        "zh": "未设置操作员令牌（LOOPLENS_OPERATOR_TOKEN）时，只能在本机执行操作。",
    },
    "guard.rate": {
        "en": "Too many actions: at most {limit} a minute. Try again shortly.",
        "zh": "操作过于频繁：每分钟最多 {limit} 次，请稍后再试。",
    },
    "guard.busy": {
        "en": "Busy: at most {limit} of these run at once. Try again shortly.",
        "zh": "繁忙：此类任务最多同时运行 {limit} 个，请稍后再试。",
    },
    "guard.token_label": {"en": "Operator token", "zh": "操作员令牌"},
    # push streams (callbacks.streaming)
    "stream.reconnecting": {"en": "Reconnecting…", "zh": "正在重新连接……"},
    # home
    "home.title": {"en": "See your sensors — and the concurrency behind them", "zh": "看见传感器，也看见背后的并发"},
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
    "home.live.title": {"en": "Watch live sensors", "zh": "实时传感器"},
    "home.live.body": {
        "en": "Temperature and humidity pushed to the page as they are stored, with cards, "
        "thresholds, pause and CSV export.",
        "zh": "读数一经保存即推送到页面：传感器卡片、阈值告警、暂停与 CSV 导出。",
    },
    "home.live.link": {"en": "Open Live →", "zh": "打开实时 →"},
    "home.trace.title": {"en": "See the event loop", "zh": "看见事件循环"},
    "home.trace.body": {
        "en": "Every callback and task step of the collector's asyncio loop, live: lanes per "
        "task and worker process, loop lag, slow callbacks, Perfetto export.",
        "zh": "采集进程 asyncio 事件循环中的每个回调与任务步骤，实时呈现：按任务与工作进程分道、"
        "循环延迟、慢回调，并可导出到 Perfetto。",
    },
    "home.trace.link": {"en": "Open Trace →", "zh": "打开追踪 →"},
    "home.lab.title": {"en": "Compare execution models", "zh": "对比执行模型"},
    "home.lab.body": {
        "en": "One sensor workload under sequential code, threads, processes, asyncio, a process "
        "per item and gevent, on one clock, against the ideal.",
        "zh": "同一传感器负载分别以顺序执行、线程、进程、asyncio、每项一个进程和 gevent 运行，"
        "在同一时钟上与理想值对比。",
    },
    "home.lab.link": {"en": "Open Lab →", "zh": "打开实验室 →"},
    "home.demos.title": {"en": "Small programs, step by step", "zh": "小程序，逐步演示"},
    "home.demos.body": {
        "en": "Six short asyncio programs — callbacks, tasks, pools, events, timers, greenlets — each with its log and timeline.",
        "zh": "六个简短的 asyncio 程序——回调、任务、进程池、事件、定时器、greenlet——每个都有日志和时间线。",
    },
    "home.demos.link": {"en": "Open Demos →", "zh": "打开示例 →"},
    "home.sources.title": {"en": "Bring your own sensors", "zh": "接入你自己的传感器"},
    "home.sources.body": {
        "en": "An MQTT broker (Zigbee2MQTT, Tasmota, ESPHome, Shelly), Home Assistant or Open-Meteo weather: add it, and every page shows it.",
        "zh": "MQTT 代理（Zigbee2MQTT、Tasmota、ESPHome、Shelly）、Home Assistant 或 Open-Meteo 天气：添加后，每个页面都会显示。",
    },
    "home.sources.link": {"en": "Open Sources →", "zh": "打开数据源 →"},
    # query page
    "query.title": {"en": "Query a station", "zh": "查询站点"},
    "query.help": {
        "en": "Chinese or English names, any case; for example 北京, Shanghai, Xi'an, lab-1.",
        "zh": "中文或英文名称均可，不区分大小写；例如 北京、Shanghai、Xi'an、lab-1。",
    },
    "query.placeholder": {"en": "City or station, e.g. Beijing", "zh": "城市或站点，例如 北京"},
    "query.submit": {"en": "Get reading", "zh": "查询"},
    "query.label": {"en": "Station or city", "zh": "站点或城市"},
    "query.cancel": {"en": "Cancel", "zh": "取消"},
    "query.retry": {"en": "Retry", "zh": "重试"},
    "query.sentence_temp": {"en": "Current temperature {temperature:.1f} °C", "zh": "当前温度为{temperature:.1f}℃"},
    "query.sentence_hum": {"en": "Current humidity {humidity:.1f} %", "zh": "当前湿度为{humidity:.1f}%"},
    "error.no_reading": {"en": "{name} has sent no reading yet.", "zh": "{name} 尚未发送任何读数。"},
    "query.sentence": {
        "en": "Current temperature {temperature:.1f} °C, humidity {humidity:.1f} %",
        "zh": "当前温度为{temperature:.1f}℃,湿度为{humidity:.1f}%",
    },
    "query.observed": {"en": "{station} · observed {time}", "zh": "{station} · 观测于 {time}"},
    "query.progress": {
        "en": "Fetching {station} in worker process {pid} — attempt {attempt} of {total}…",
        "zh": "工作进程 {pid} 正在获取 {station} —— 第 {attempt}/{total} 次尝试…",
    },
    "prov.web_pid": {"en": "Web process", "zh": "Web 进程"},
    "prov.worker_pid": {"en": "Worker process", "zh": "工作进程"},
    "prov.engine": {"en": "Engine", "zh": "引擎"},
    "prov.attempts": {"en": "Attempts", "zh": "尝试次数"},
    "prov.latency": {"en": "Latency", "zh": "延迟"},
    # errors: one per services.core.errors code, plus the page's own
    "error.bad_input": {"en": "That query cannot be run as typed.", "zh": "无法按输入内容查询。"},
    "error.sensor_error": {"en": "The sensor service gave no usable reading.", "zh": "传感器服务未返回可用读数。"},
    "error.empty": {"en": "Type a city or station name first.", "zh": "请先输入城市或站点名称。"},
    "error.too_long": {
        "en": "That is {length} characters; a station name is at most {limit}.",
        "zh": "输入有 {length} 个字符，站点名称最多 {limit} 个字符。",
    },
    "error.unknown_station": {"en": "No station is called “{query}”.", "zh": "没有名为“{query}”的站点。"},
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
        "en": "The sensor service does not know this station.",
        "zh": "传感器服务不认识这个站点。",
    },
    "error.cancelled": {"en": "Query cancelled.", "zh": "查询已取消。"},
    "error.internal": {
        "en": "Something went wrong on our side; it has been logged. Please retry.",
        "zh": "服务器内部出错，已记录日志。请重试。",
    },
    # 404
    "404.title": {"en": "Page not found", "zh": "页面不存在"},
    "404.tab": {"en": "Not found", "zh": "未找到"},
    "shell.language": {"en": "Language", "zh": "语言"},
    "dropdown.selected_count": {"en": "{num_selected} selected", "zh": "已选 {num_selected} 个"},
    "dropdown.clear_selection": {"en": "Clear selection", "zh": "清除所选"},
    "dropdown.search": {"en": "Search", "zh": "搜索"},
    "dropdown.clear_search": {"en": "Clear search", "zh": "清除搜索"},
    "dropdown.no_options_found": {"en": "No options found", "zh": "没有匹配的选项"},
    "dropdown.select_all": {"en": "Select all", "zh": "全选"},
    "dropdown.deselect_all": {"en": "Deselect all", "zh": "全部取消"},
    "lab.lanes_summary": {
        "en": "Chart: one lane per worker (thread, process or task) of each engine, a bar per item while it ran;"
        " the results table below gives each engine's time and its ratio to the ideal.",
        "zh": "图表：每个引擎的每个工作者（线程、进程或任务）一行，每个条目运行时画一段；下方结果表列出各引擎的用时及其与理想值之比。",
    },
    "lab.bars_summary": {
        "en": "Chart: each engine's total time as a bar, with the ideal as a line; the same numbers are in the results table.",
        "zh": "图表：每个引擎的总用时为一根柱子，理想值为一条线；同样的数字在结果表中。",
    },
    "trace.chart_summary": {
        "en": "Chart: the event loop over the chosen window — a lane per task, a tick per callback, red bars for slow"
        " ones, worker processes' jobs and the loop lag below. The counters above and the slow-callback table give"
        " the same in text.",
        "zh": "图表：所选时间窗口内的事件循环——每个任务一行，每个回调一个刻度，慢回调为红色横条，下方是工作进程的任务和循环延迟。"
        "上方计数和慢回调表以文字给出同样的信息。",
    },
    "demos.chart_summary": {
        "en": "Chart: when each step of the demo ran, one row per worker or task; the log above lists the same steps in order.",
        "zh": "图表：示例中每一步的运行时间，每行一个工作者或任务；上方日志按顺序列出同样的步骤。",
    },
    "trace.limit.uvloop_timers": {
        "en": "uvloop: its timers (call_later, asyncio.sleep) run in C past the tracer, so how late they fire is not"
        " shown; the task steps they wake are.",
        "zh": "uvloop：它的定时器（call_later、asyncio.sleep）在 C 中运行、绕过追踪器，所以看不到它们晚了多少；"
        "它们唤醒的任务步骤可以看到。",
    },
    "trace.limit.uvloop_io": {
        "en": "uvloop: its transports' callbacks (data received, connections) run in C and are not rows of their own.",
        "zh": "uvloop：它的传输层回调（收到数据、建立连接）在 C 中运行，不单独成行。",
    },
    "diag.blocking": {
        "en": "A blocking call held the loop for {ms} ms at {where} — in {name}. Await an async version, or run it"
        " in an executor (loop.run_in_executor / asyncio.to_thread).",
        "zh": "一个阻塞调用占住事件循环 {ms} 毫秒，位置 {where}（{name}）。改用异步版本并 await，或放进执行器"
        "（loop.run_in_executor / asyncio.to_thread）。",
    },
    "diag.cpu": {
        "en": "CPU work ran on the loop for {ms} ms at {where} — in {name}; nothing else ran meanwhile. It belongs in a"
        " process pool (loop.run_in_executor with a ProcessPoolExecutor).",
        "zh": "CPU 计算在事件循环上运行了 {ms} 毫秒，位置 {where}（{name}），期间其他一切都在等。它应放进进程池"
        "（loop.run_in_executor 配合 ProcessPoolExecutor）。",
    },
    "diag.late_timer": {
        "en": "A timer ({name}) fired {late_ms} ms late while no callback of the loop ran: the process itself was"
        " held up (a busy machine, a long garbage collection, another thread holding the GIL).",
        "zh": "一个定时器（{name}）晚了 {late_ms} 毫秒才触发，而当时事件循环没有在运行回调：是进程本身被耽搁了"
        "（机器繁忙、长时间垃圾回收，或别的线程占着 GIL）。",
    },
    "diag.late_timer_by": {
        "en": "Timers fired up to {late_ms} ms late ({count} of them, e.g. {name}): when they fell due, {by} was"
        " running ({by_ms} ms).",
        "zh": "定时器最多晚了 {late_ms} 毫秒才触发（共 {count} 个，例如 {name}）：到期时 {by} 正在运行（{by_ms} 毫秒）。",
    },
    "diag.pending_destroyed": {
        "en": "Task {task} was destroyed while still pending: nothing kept a reference to it. Keep one (a set, a"
        " TaskGroup) until it is done.",
        "zh": "任务 {task} 在仍未完成时被销毁：没有任何地方保留对它的引用。在它完成前保留引用（集合或 TaskGroup）。",
    },
    "diag.never_retrieved": {
        "en": "Task {task} failed with {error}, and nobody awaited it or asked for its exception.",
        "zh": "任务 {task} 以 {error} 失败，但没有人 await 它或读取它的异常。",
    },
    "diag.queue_full": {
        "en": "The queue made at {site} stayed full for {s} s with up to {waiting} producers waiting: its consumers"
        " cannot keep up.",
        "zh": "在 {site} 创建的队列满了 {s} 秒，最多 {waiting} 个生产者在等待：消费者跟不上。",
    },
    "diag.queue_empty": {
        "en": "The queue made at {site} stayed empty for {s} s with up to {waiting} consumers waiting: here the"
        " producers are the slow side, not the consumers.",
        "zh": "在 {site} 创建的队列空了 {s} 秒，最多 {waiting} 个消费者在等待：这里慢的是生产者，而不是消费者。",
    },
    "diag.lock_contended": {
        "en": "The lock made at {site} was held for {s} s while up to {waiting} tasks waited for it.",
        "zh": "在 {site} 创建的锁被持有了 {s} 秒，期间最多 {waiting} 个任务在等它。",
    },
    "diag.loop_error": {"en": "The loop reported: {message}", "zh": "事件循环报告：{message}"},
    "shell.skip": {"en": "Skip to content", "zh": "跳到正文"},
    "404.body": {"en": "There is no page at this address.", "zh": "这个地址没有页面。"},
    "404.home": {"en": "Back to Home", "zh": "返回首页"},
    # live
    "live.title": {"en": "Live sensors", "zh": "实时传感器"},
    "live.stations": {"en": "Stations", "zh": "站点"},
    "live.range": {"en": "Range", "zh": "时间范围"},
    "live.unit": {"en": "Unit", "zh": "单位"},
    "live.pause": {"en": "Pause", "zh": "暂停"},
    "live.resume": {"en": "Resume", "zh": "继续"},
    "live.export": {"en": "Export CSV", "zh": "导出 CSV"},
    "live.thresholds": {"en": "Alert thresholds", "zh": "告警阈值"},
    "live.temp_low": {"en": "Temperature low", "zh": "温度下限"},
    "live.temp_high": {"en": "Temperature high", "zh": "温度上限"},
    "live.hum_low": {"en": "Humidity low (%RH)", "zh": "湿度下限 (%RH)"},
    "live.hum_high": {"en": "Humidity high (%RH)", "zh": "湿度上限 (%RH)"},
    "live.axis.temperature": {"en": "Temperature (°{unit})", "zh": "温度 (°{unit})"},
    "live.axis.humidity": {"en": "Relative humidity (%RH)", "zh": "相对湿度 (%RH)"},
    "live.card.dew": {"en": "dew point", "zh": "露点"},
    "live.card.min": {"en": "min", "zh": "最低"},
    "live.card.max": {"en": "max", "zh": "最高"},
    "live.card.avg": {"en": "mean", "zh": "平均"},
    "live.card.at": {"en": "last reading", "zh": "最近读数"},
    "live.offline": {"en": "offline", "zh": "离线"},
    "live.banner": {"en": "Beyond thresholds: {stations}", "zh": "超出阈值：{stations}"},
    "live.banner.one": {"en": "{station} ({limits})", "zh": "{station}（{limits}）"},
    "live.banner.sep": {"en": ", ", "zh": "，"},
    "live.banner.list_sep": {"en": "; ", "zh": "；"},
    "live.chart_summary": {
        "en": "Chart: temperature (top) and humidity (bottom) of the selected stations over the chosen range,"
        " with rings where a value crossed a limit. Each station's latest values are in the cards below.",
        "zh": "图表：所选站点在所选时间范围内的温度（上）和湿度（下），越过阈值的点带圆圈。各站点的最新数值在下方卡片中。",
    },
    "live.range.5m": {"en": "5 min", "zh": "5 分钟"},
    "live.range.1h": {"en": "1 h", "zh": "1 小时"},
    "live.range.24h": {"en": "24 h", "zh": "24 小时"},
    "live.hover.alert": {"en": "alert", "zh": "告警"},
    "live.alert.temp_high": {"en": "temperature above its high limit", "zh": "温度高于上限"},
    "live.alert.temp_low": {"en": "temperature below its low limit", "zh": "温度低于下限"},
    "live.alert.hum_high": {"en": "humidity above its high limit", "zh": "湿度高于上限"},
    "live.alert.hum_low": {"en": "humidity below its low limit", "zh": "湿度低于下限"},
    "live.status.streaming": {
        "en": "Live · {n} stations · collector every {period} s",
        "zh": "实时 · {n} 个站点 · 采集周期 {period} 秒",
    },
    "live.status.paused": {
        "en": "Paused at {time} · readings are still being stored",
        "zh": "已于 {time} 暂停 · 读数仍在持续保存",
    },
    "live.status.no_collector": {
        "en": "The collector is not running: no new readings are being stored.",
        "zh": "采集进程未运行：没有新的读数被保存。",
    },
    "live.err.no_station": {
        "en": "Pick at least one station to see its readings.",
        "zh": "请至少选择一个站点以查看读数。",
    },
    "live.err.too_many": {
        "en": "At most {limit} stations at once; showing the first {limit}.",
        "zh": "最多同时显示 {limit} 个站点；已显示前 {limit} 个。",
    },
    "live.err.not_number": {
        "en": "Thresholds must be numbers ({field} is not); the previous thresholds still apply.",
        "zh": "阈值必须是数字（{field} 不是）；仍沿用之前的阈值。",
    },
    "live.err.temp_order": {
        "en": "Temperature low is above temperature high; the previous thresholds still apply.",
        "zh": "温度下限高于上限；仍沿用之前的阈值。",
    },
    "live.err.hum_order": {
        "en": "Humidity low is above humidity high; the previous thresholds still apply.",
        "zh": "湿度下限高于上限；仍沿用之前的阈值。",
    },
    "live.err.export_empty": {
        "en": "Nothing to export: the shown range has no readings.",
        "zh": "无可导出内容：所示时间范围内没有读数。",
    },
    "live.err.stream": {
        "en": "The live stream hit a problem and is reconnecting…",
        "zh": "实时数据流出现问题，正在重新连接……",
    },
    # Live: long ranges (services.live.history, callbacks.live_history)
    "live.range.7d": {"en": "7 d", "zh": "7 天"},
    "live.range.30d": {"en": "30 d", "zh": "30 天"},
    "live.range.1y": {"en": "1 y", "zh": "1 年"},
    "live.from": {"en": "From (year-month-day)", "zh": "开始日期（年-月-日）"},
    "live.to": {"en": "To (year-month-day)", "zh": "结束日期（年-月-日）"},
    "live.err.range_date": {
        "en": "Dates are written year-month-day (2026-11-27); showing the chosen preset instead.",
        "zh": "日期格式为 年-月-日（2026-11-27）；改为显示所选的预设范围。",
    },
    "live.err.range_order": {
        "en": "The range ends before it starts; showing the chosen preset instead.",
        "zh": "结束日期早于开始日期；改为显示所选的预设范围。",
    },
    "live.err.range_long": {
        "en": "A range is at most {days} days; showing the chosen preset instead.",
        "zh": "时间范围最多 {days} 天；改为显示所选的预设范围。",
    },
    "live.res.raw": {"en": "every reading", "zh": "每条读数"},
    "live.res.thinned": {
        "en": "readings, thinned to {points} points per line (highs and lows kept)",
        "zh": "读数，每条线精简为 {points} 个点（保留最高与最低）",
    },
    "live.res.300": {"en": "5-minute", "zh": "5 分钟"},
    "live.res.3600": {"en": "hourly", "zh": "每小时"},
    "live.res.hours": {"en": "{hours}-hour", "zh": "{hours} 小时"},
    "live.res.minutes": {"en": "{minutes}-minute", "zh": "{minutes} 分钟"},
    "live.showing.raw": {"en": "Chart and cards: {what}.", "zh": "图表与卡片：{what}。"},
    "live.showing.stats": {
        "en": "Chart and cards: {resolution} statistics — the line is the mean, the band runs from min to max;"
        " a card's times are the start of the bucket.",
        "zh": "图表与卡片：{resolution}统计——线为平均值，色带为最低至最高；卡片中的时间为所在区间的开始。",
    },
    "live.status.still": {
        "en": "{n} stations · {start} – {end} · updated {time}",
        "zh": "{n} 个站点 · {start} – {end} · 更新于 {time}",
    },
    "live.hover.mean": {"en": "mean", "zh": "平均"},
    "live.hover.band": {"en": "min–max", "zh": "最低–最高"},
    "live.daily.title": {"en": "Per day", "zh": "每日统计"},
    "live.daily.note": {
        "en": "Min, mean and max per station and local day; the time of a min or max is the start of its"
        " {resolution} bucket.",
        "zh": "每个站点每个本地日的最低、平均与最高；最低或最高的时间为其所在{resolution}区间的开始。",
    },
    "live.daily.cut": {
        "en": "Showing the newest {shown} of {total} rows; the CSV has them all.",
        "zh": "显示最新的 {shown} 行（共 {total} 行）；CSV 包含全部。",
    },
    "live.daily.empty": {"en": "No statistics in this range yet.", "zh": "此时间范围内尚无统计。"},
    "live.daily.export": {"en": "Export per-day CSV", "zh": "导出每日 CSV"},
    "live.daily.day": {"en": "Day", "zh": "日期"},
    "live.daily.station": {"en": "Station", "zh": "站点"},
    "live.daily.temp": {"en": "Temperature (°{unit})", "zh": "温度 (°{unit})"},
    "live.daily.hum": {"en": "Humidity (%RH)", "zh": "湿度 (%RH)"},
    "live.daily.min": {"en": "min", "zh": "最低"},
    "live.daily.mean": {"en": "mean", "zh": "平均"},
    "live.daily.max": {"en": "max", "zh": "最高"},
    # demos
    "demos.title": {"en": "Seed demos", "zh": "入门示例"},
    "demos.lead": {
        "en": "Six small programs about callbacks, tasks, process pools, events, timers and greenlets, "
        "run for real against the sensor service. Each prints a log — which process said what, "
        "when — and draws what ran where.",
        "zh": "六个关于回调、任务、进程池、事件、定时器和协程（greenlet）的小程序，真实访问传感器服务运行。"
        "每个都会输出日志——哪个进程在何时说了什么——并画出各部分在哪里运行。",
    },
    "demos.speed": {"en": "Speed", "zh": "速度"},
    "demos.run": {"en": "Run", "zh": "运行"},
    "demos.running": {"en": "Running…", "zh": "运行中……"},
    "demos.failed": {"en": "The demo failed: {error}", "zh": "示例运行失败：{error}"},
    "demo.process_callback.title": {"en": "A callback passed to a child process", "zh": "传给子进程的回调函数"},
    "demo.process_callback.about": {
        "en": "A child Process runs its own event loop to fetch a reading and calls the callback it was given. "
        "Where does that callback run? Then the right way back: a pool's done-callback.",
        "zh": "子进程运行自己的事件循环获取读数，并调用传给它的回调函数。这个回调在哪里运行？随后演示正确的返回方式：进程池的完成回调。",
    },
    "demo.process_callback.start": {
        "en": "parent: starting a child Process and handing it a callback",
        "zh": "父进程：启动子进程，并把回调函数交给它",
    },
    "demo.process_callback.started": {
        "en": "parent: child pid {child_pid} started",
        "zh": "父进程：子进程 pid {child_pid} 已启动",
    },
    "demo.process_callback.fetched": {
        "en": "child: its own event loop fetched Beijing: {temperature} °C, {humidity} %RH",
        "zh": "子进程：用自己的事件循环取得北京读数：{temperature}℃，湿度 {humidity}%",
    },
    "demo.process_callback.callback": {
        "en": "callback ran — in the CHILD process (see its pid), not in the parent",
        "zh": "回调函数执行了——是在子进程中（看它的 pid），而不是父进程",
    },
    "demo.process_callback.parent_empty": {
        "en": "parent: my list of received readings holds {received} items — the child's callback changed the child's copy",
        "zh": "父进程：我收到的读数列表里有 {received} 项——子进程的回调修改的是子进程自己的副本",
    },
    "demo.process_callback.pool_callback": {
        "en": "parent: done-callback got Shanghai {temperature} °C, fetched in worker pid {worker_pid} — and ran here, in the parent",
        "zh": "父进程：完成回调收到上海 {temperature}℃（由工作进程 pid {worker_pid} 获取）——并且在父进程中执行",
    },
    "demo.process_callback.conclusion": {
        "en": "to get a result back, send it (a Queue, a Pipe) or let a pool future call back in the parent (pid {parent_pid})",
        "zh": "要把结果带回父进程，应当发送它（Queue、Pipe），或让进程池的 future 在父进程（pid {parent_pid}）中回调",
    },
    "demo.task_callback.title": {"en": "Coroutine → Task → add_done_callback", "zh": "协程 → 任务 → add_done_callback"},
    "demo.task_callback.about": {
        "en": "A coroutine object does nothing until it is wrapped in a Task. Done callbacks get the task; "
        "functools.partial passes them an extra argument (the unit).",
        "zh": "协程对象在被包装成任务（Task）之前什么也不做。完成回调会收到该任务；functools.partial 为回调额外传入参数（单位）。",
    },
    "demo.task_callback.coroutine": {
        "en": "calling get_reading('guangzhou') made a {kind} object — nothing ran yet",
        "zh": "调用 get_reading('guangzhou') 得到一个 {kind} 对象——此时什么都还没运行",
    },
    "demo.task_callback.task_pending": {"en": "wrapped in a Task: state {state}", "zh": "包装为任务：状态 {state}"},
    "demo.task_callback.callback": {
        "en": "done callback (partial with unit={unit}): {value} °{unit}, {humidity} %RH",
        "zh": "完成回调（partial 传入 unit={unit}）：{value} °{unit}，湿度 {humidity}%",
    },
    "demo.task_callback.task_finished": {"en": "task state: {state}", "zh": "任务状态：{state}"},
    "demo.pool_pids.title": {
        "en": "Process pool: fetch in workers, parse in the parent",
        "zh": "进程池：工作进程获取，父进程解析",
    },
    "demo.pool_pids.about": {
        "en": "ProcessPoolExecutor.submit sends each fetch to a worker; add_done_callback parses the result in the parent.",
        "zh": "ProcessPoolExecutor.submit 把每次获取交给工作进程；add_done_callback 在父进程中解析结果。",
    },
    "demo.pool_pids.start": {
        "en": "parent: a pool of {workers} workers, 4 stations submitted",
        "zh": "父进程：{workers} 个工作进程的进程池，已提交 4 个站点",
    },
    "demo.pool_pids.fetched": {"en": "worker: fetched {station}", "zh": "工作进程：已获取 {station}"},
    "demo.pool_pids.parsed": {
        "en": "parent: parsed {station}: {temperature} °C, {humidity} %RH",
        "zh": "父进程：已解析 {station}：{temperature}℃，湿度 {humidity}%",
    },
    "demo.pool_pids.done": {
        "en": "every result was parsed in the parent, pid {parent_pid}",
        "zh": "所有结果都在父进程 pid {parent_pid} 中解析",
    },
    "demo.event_retry.title": {
        "en": "threading.Event: wait for a service check",
        "zh": "threading.Event：等待服务检查",
    },
    "demo.event_retry.about": {
        "en": "Two workers wait for a health check to set an Event, retrying at most 3 times; "
        "first with the sensor service up, then with it unreachable.",
        "zh": "两个工作线程等待健康检查设置 Event，最多重试 3 次；先演示传感器服务可用，再演示无法连接。",
    },
    "demo.event_retry.case_up": {"en": "— case 1: the sensor service is up —", "zh": "—— 情况一：传感器服务可用 ——"},
    "demo.event_retry.case_down": {
        "en": "— case 2: the service cannot be reached —",
        "zh": "—— 情况二：服务无法连接 ——",
    },
    "demo.event_retry.waiting": {
        "en": "worker {worker}: attempt {attempt}, the service is not confirmed yet; waiting",
        "zh": "工作线程 {worker}：第 {attempt} 次尝试，服务尚未确认；继续等待",
    },
    "demo.event_retry.check_ok": {
        "en": "check: the service answered, Event set",
        "zh": "检查：服务已响应，已设置 Event",
    },
    "demo.event_retry.check_failed": {
        "en": "check: no answer; the Event stays unset",
        "zh": "检查：无响应；Event 保持未设置",
    },
    "demo.event_retry.connected": {
        "en": "worker {worker}: connected on attempt {attempt}",
        "zh": "工作线程 {worker}：第 {attempt} 次尝试时连接成功",
    },
    "demo.event_retry.timeout": {
        "en": "worker {worker}: TimeoutError after 3 attempts",
        "zh": "工作线程 {worker}：3 次尝试后抛出 TimeoutError",
    },
    "demo.call_chain.title": {
        "en": "call_soon and call_later: a chain of three functions",
        "zh": "call_soon 与 call_later：三个函数的调用链",
    },
    "demo.call_chain.about": {
        "en": "function_1 is scheduled with call_soon; each function schedules the next one step later "
        "with call_later, until loop.time() + 9 steps. Lateness is how long after its due time each ran.",
        "zh": "function_1 通过 call_soon 调度；每个函数用 call_later 在一步之后调度下一个，直到 loop.time() + 9 步。"
        "延迟表示每次调用比预定时间晚了多久。",
    },
    "demo.call_chain.start": {
        "en": "loop: stop after {horizon} s; one step = {step} s",
        "zh": "事件循环：{horizon} 秒后停止；每步 {step} 秒",
    },
    "demo.call_chain.called": {
        "en": "function_{n} called at +{at} s ({late} ms late)",
        "zh": "function_{n} 在 +{at} 秒被调用（延迟 {late} 毫秒）",
    },
    "demo.call_chain.stop": {
        "en": "no room for another step: loop stopped at +{at} s",
        "zh": "已没有时间进行下一步：事件循环在 +{at} 秒停止",
    },
    "demo.gevent.title": {"en": "gevent: spawn and joinall", "zh": "gevent：spawn 与 joinall"},
    "demo.gevent.about": {
        "en": "Ten tasks that each wait half a step: one after another, then as greenlets. "
        "Runs in its own process, so gevent never touches the app.",
        "zh": "十个各等待半步的任务：先依次执行，再作为 greenlet 并发执行。在独立进程中运行，gevent 不会影响应用。",
    },
    "demo.gevent.sequential": {"en": "one after another: {seconds} s", "zh": "依次执行：{seconds} 秒"},
    "demo.gevent.greenlets": {"en": "spawn + joinall: {seconds} s", "zh": "spawn + joinall：{seconds} 秒"},
    # lab
    "lab.title": {"en": "Concurrency lab", "zh": "并发实验室"},
    "lab.lead": {
        "en": "Fetch N readings from the sensor service (latency L each), then spend C ms of real CPU "
        "on each payload — under each engine in turn. Every bar is one item, on the lane of the "
        "process, thread or concurrent slot that ran it; all engines share one clock.",
        "zh": "从传感器服务获取 N 条读数（每条延迟 L），再对每份数据做 C 毫秒的真实 CPU 计算——依次用各引擎运行。"
        "每个横条是一项，位于执行它的进程、线程或并发槽位所在的泳道；所有引擎共用同一时钟。",
    },
    "lab.n": {"en": "Stations to fetch (N)", "zh": "获取站点数 (N)"},
    "lab.latency": {"en": "Service latency L (ms)", "zh": "服务延迟 L（毫秒）"},
    "lab.cpu": {"en": "CPU per reading C (ms)", "zh": "每条读数 CPU C（毫秒）"},
    "lab.workers": {"en": "Workers k", "zh": "工作者数 k"},
    "lab.engines": {"en": "Engines", "zh": "引擎"},
    "lab.run": {"en": "Run", "zh": "运行"},
    "lab.trace": {
        "en": "Trace the asyncio engine's event loop (its time then includes the tracer's)",
        "zh": "追踪 asyncio 引擎的事件循环（其耗时将包含追踪开销）",
    },
    "lab.trace_get": {
        "en": "Download the asyncio loop trace (Perfetto)",
        "zh": "下载 asyncio 事件循环追踪（Perfetto）",
    },
    "lab.loop": {
        "en": "The asyncio engine's loop, traced: {callbacks} callbacks in {tasks} tasks; the longest took {longest} ms, "
        "the latest ran {latest} ms after it was due, the loop lagged up to {lag} ms; {dropped} dropped.",
        "zh": "asyncio 引擎的事件循环（已追踪）：{tasks} 个任务共 {callbacks} 个回调；最长回调 {longest} 毫秒，"
        "最晚的回调比预定时间晚 {latest} 毫秒执行，循环延迟最高 {lag} 毫秒；丢弃 {dropped} 个。",
    },
    "lab.loop_jobs": {
        "en": " Its {jobs} CPU jobs ran in {workers} worker processes, each with its own track in the file.",
        "zh": "其 {jobs} 个 CPU 任务在 {workers} 个工作进程中执行，文件中每个进程各有一条轨道。",
    },
    "lab.cancel": {"en": "Cancel", "zh": "取消"},
    "lab.engine.sequential": {"en": "sequential", "zh": "顺序执行"},
    "lab.engine.threads": {"en": "threads (k)", "zh": "线程池 (k)"},
    "lab.engine.processes": {"en": "processes (k, add_done_callback)", "zh": "进程池 (k, add_done_callback)"},
    "lab.engine.asyncio": {"en": "asyncio + aiohttp", "zh": "asyncio + aiohttp"},
    "lab.engine.process_per_item": {"en": "a Process per item (≤ 50)", "zh": "每项一个 Process（≤ 50）"},
    "lab.engine.gevent": {"en": "gevent (own process)", "zh": "gevent（独立进程）"},
    "lab.short.sequential": {"en": "sequential", "zh": "顺序执行"},
    "lab.short.threads": {"en": "threads", "zh": "线程池"},
    "lab.short.processes": {"en": "processes", "zh": "进程池"},
    "lab.short.asyncio": {"en": "asyncio", "zh": "asyncio"},
    "lab.short.process_per_item": {"en": "process per item", "zh": "每项一个进程"},
    "lab.short.gevent": {"en": "gevent", "zh": "gevent"},
    "lab.lane": {"en": "{engine} · pid {pid}", "zh": "{engine} · 进程 {pid}"},
    "lab.lane_thread": {"en": "{engine} · pid {pid} · {thread}", "zh": "{engine} · 进程 {pid} · {thread}"},
    "lab.lanes_x": {"en": "Seconds from the start of the run", "zh": "自运行开始的秒数"},
    "lab.hover": {"en": "{x} s from the start", "zh": "开始后 {x} 秒"},
    "lab.seconds": {"en": "{s} s", "zh": "{s} 秒"},
    "lab.ideal_line": {"en": "ideal {s} s", "zh": "理想值 {s} 秒"},
    "lab.progress": {
        "en": "Engine {step} of {steps}, {engine}: {done} of {n} items…",
        "zh": "第 {step}/{steps} 个引擎，{engine}：已完成 {done}/{n} 项……",
    },
    "lab.progress_done": {
        "en": "All {steps} engines done; drawing the results…",
        "zh": "全部 {steps} 个引擎已完成，正在绘制结果……",
    },
    "lab.starting": {"en": "Measuring the loopback request ceiling…", "zh": "正在测量回环请求上限……"},
    "lab.col.engine": {"en": "Engine", "zh": "引擎"},
    "lab.col.wall": {"en": "Wall (s)", "zh": "耗时（秒）"},
    "lab.col.cpu": {"en": "CPU (s)", "zh": "CPU（秒）"},
    "lab.col.throughput": {"en": "Items/s", "zh": "项/秒"},
    "lab.col.ratio": {"en": "× ideal", "zh": "× 理想值"},
    "lab.col.failed": {"en": "Failed", "zh": "失败"},
    "lab.ideal": {
        "en": "Ideal {model} s = max(L, N / {ceiling} req/s, N·C / {cores} cores). {ceiling} req/s is the loopback "
        "request ceiling: the best of {rounds} rounds measured before the engines, which ranged from {low} to "
        "{ceiling} req/s (median {median}).",
        "zh": "理想值 {model} 秒 = max(L, N / {ceiling} 次/秒, N·C / {cores} 核)。{ceiling} 次/秒是回环请求上限："
        "运行引擎前测量 {rounds} 轮中最好的一轮，各轮介于 {low} 至 {ceiling} 次/秒之间（中位数 {median}）。",
    },
    "lab.beat.io": {
        "en": "{engine} took {wall} s, less than the model's {model} s: it fetched {rate} items/s, more than the "
        "{ceiling} req/s the loopback answered before the engines — the machine was busier while the ceiling was "
        "measured.",
        "zh": "{engine} 用时 {wall} 秒，少于模型的 {model} 秒：它每秒获取 {rate} 项，超过运行引擎前回环测得的 "
        "{ceiling} 次/秒——测量上限时机器更忙。",
    },
    "lab.beat.cpu": {
        "en": "{engine} took {wall} s, less than the model's {model} s: the C ms of CPU work per item were "
        "calibrated before the engines, while the machine was busier, so the work ran faster than C ms here.",
        "zh": "{engine} 用时 {wall} 秒，少于模型的 {model} 秒：每项 C 毫秒的 CPU 工作量是在运行引擎前校准的，"
        "当时机器更忙，所以这里实际用时不到 C 毫秒。",
    },
    "lab.beat.latency": {
        "en": "{engine} took {wall} s, less than the model's {model} s — one service latency L, which no fetch "
        "can beat: this timing is suspect.",
        "zh": "{engine} 用时 {wall} 秒，少于模型的 {model} 秒——即一次服务延迟 L，任何获取都不可能更快：此计时可疑。",
    },
    "lab.ideal_lowered": {
        "en": "So the ideal here is the fastest run's own time, {ideal} s, and no engine shows below 1×.",
        "zh": "因此这里的理想值取最快一次运行本身的 {ideal} 秒，没有引擎低于 1×。",
    },
    "lab.identical": {"en": "✔ Every engine returned identical readings.", "zh": "✔ 所有引擎返回的读数完全一致。"},
    "lab.different": {
        "en": "✘ The engines' readings differ (see failed items).",
        "zh": "✘ 各引擎的读数不一致（见失败项）。",
    },
    "lab.collector": {
        "en": "The collector kept its period: longest gap between its heartbeats during the run {gap} s (period {period} s).",
        "zh": "采集进程保持了周期：运行期间心跳最长间隔 {gap} 秒（周期 {period} 秒）。",
    },
    "lab.collector_late": {
        "en": "The collector fell behind: longest gap between its heartbeats during the run {gap} s (period {period} s).",
        "zh": "采集进程有所滞后：运行期间心跳最长间隔 {gap} 秒（周期 {period} 秒）。",
    },
    "lab.bars": {"en": "Wall time (s)", "zh": "耗时（秒）"},
    "lab.cancelled": {
        "en": "Cancelled: the run and all its worker processes were stopped.",
        "zh": "已取消：本次运行及其所有工作进程均已停止。",
    },
    "lab.err.no_engine": {"en": "Pick at least one engine.", "zh": "请至少选择一个引擎。"},
    "lab.err.trace_needs_asyncio": {
        "en": "Tracing the event loop needs the asyncio engine: pick it, or untick tracing.",
        "zh": "追踪事件循环需要 asyncio 引擎：请选择它，或取消追踪。",
    },
    "lab.err.trace_gone": {
        "en": "That run's loop trace is no longer kept (the newest {kept} are); run the lab again.",
        "zh": "该次运行的事件循环追踪已不再保留（只保留最近 {kept} 份）；请重新运行。",
    },
    "lab.err.unknown_engine": {"en": "Unknown engine {engine}.", "zh": "未知引擎 {engine}。"},
    "lab.err.n_range": {"en": "N must be a whole number from 1 to {limit}.", "zh": "N 须为 1 到 {limit} 的整数。"},
    "lab.err.latency_range": {"en": "L must be from 0 to {limit} ms.", "zh": "L 须在 0 到 {limit} 毫秒之间。"},
    "lab.err.cpu_range": {"en": "C must be from 0 to {limit} ms.", "zh": "C 须在 0 到 {limit} 毫秒之间。"},
    "lab.err.workers_range": {
        "en": "k must be a whole number from 1 to {limit}.",
        "zh": "k 须为 1 到 {limit} 的整数。",
    },
    "lab.err.no_stations": {"en": "The sensor service lists no stations.", "zh": "传感器服务没有列出任何站点。"},
    "lab.err.per_item_cap": {
        "en": "A Process per item is capped at N ≤ {limit}: lower N or untick it.",
        "zh": "每项一个 Process 最多 N ≤ {limit}：请减小 N 或取消勾选。",
    },
    "lab.err.too_slow": {
        "en": "Sequential would take about {seconds} s (limit {limit} s): lower N, L or C, or untick it.",
        "zh": "顺序执行约需 {seconds} 秒（上限 {limit} 秒）：请减小 N、L 或 C，或取消勾选。",
    },
    "lab.err.busy": {
        "en": "Another lab run is in progress on this server; try again when it ends.",
        "zh": "本服务器上已有实验正在运行；请在其结束后再试。",
    },
    "lab.err.sensor": {
        "en": "The sensor service did not answer; the lab needs it.",
        "zh": "传感器服务无响应；实验室需要它。",
    },
    "lab.err.crashed": {
        "en": "The run failed unexpectedly; the server log has the details.",
        "zh": "运行意外失败；详情见服务器日志。",
    },
    # trace
    "trace.title": {"en": "Event-loop trace", "zh": "事件循环追踪"},
    "trace.lead": {
        "en": "An asyncio loop of the app, callback by callback: the collector's, which runs every "
        "source (the simulator's polls, an MQTT client, HTTP fetches), or the sensor service's. Each tick is one callback the "
        "loop ran, on the lane of the task it stepped; bars are callbacks longer than 0.5 ms, "
        "red ones are slow. Click a tick to inspect its task. Or any asyncio program of yours, through its agent (below).",
        "zh": "应用的一个 asyncio 事件循环，逐个回调呈现：采集进程的（运行每个数据源：模拟器轮询、MQTT 客户端、HTTP 请求），"
        "或传感器服务的。"
        "每个刻度是事件循环执行的一个回调，"
        "位于它所推进的任务所在的泳道；长于 0.5 毫秒的回调画成横条，慢回调为红色。点击刻度可查看其任务。"
        "也可以通过代理追踪你自己的任何 asyncio 程序（见下方）。",
    },
    "trace.loop": {"en": "Loop", "zh": "事件循环"},
    "trace.loop.collector": {"en": "collector", "zh": "采集进程"},
    "trace.loop.sensor": {"en": "sensor service", "zh": "传感器服务"},
    "trace.window": {"en": "Window", "zh": "时间窗口"},
    "trace.internal": {"en": "Hide loop internals", "zh": "隐藏事件循环内部回调"},
    "trace.slow_ms": {"en": "Slow from (ms)", "zh": "慢回调阈值（毫秒）"},
    "trace.block_ms": {"en": "Block for (ms)", "zh": "阻塞时长（毫秒）"},
    "trace.block": {"en": "Block the loop", "zh": "阻塞事件循环"},
    "trace.jobs": {"en": "Run 8 pool jobs", "zh": "运行 8 个进程池任务"},
    "trace.export": {"en": "Download trace (Perfetto)", "zh": "下载追踪（Perfetto）"},
    "trace.slow.title": {"en": "Slow callbacks", "zh": "慢回调"},
    "trace.slow.none": {"en": "No callback of {ms} ms or longer yet.", "zh": "暂无 {ms} 毫秒及以上的回调。"},
    "trace.col.time": {"en": "Time", "zh": "时间"},
    "trace.col.lane": {"en": "Task", "zh": "任务"},
    "trace.col.callback": {"en": "Callback", "zh": "回调"},
    "trace.col.ms": {"en": "Duration (ms)", "zh": "耗时（毫秒）"},
    "trace.col.late": {"en": "Late (ms)", "zh": "延迟（毫秒）"},
    "trace.col.kind": {"en": "Scheduled by", "zh": "调度方式"},
    "trace.lane.plain": {"en": "callbacks", "zh": "普通回调"},
    "trace.lane.worker": {"en": "worker {pid}", "zh": "工作进程 {pid}"},
    "trace.step": {"en": "step {coro}", "zh": "推进 {coro}"},
    "trace.kind.done": {"en": "done callback", "zh": "完成回调"},
    "trace.hover.callback": {
        "en": "{name}<br>{lane} · {ms} ms · late {late} ms · {kind}",
        "zh": "{name}<br>{lane} · {ms} ms · 延迟 {late} ms · {kind}",
    },
    "trace.hover.made": {"en": "{parent} made the task {child}", "zh": "{parent} 创建了任务 {child}"},
    "trace.hover.via": {"en": "via library code: {names}", "zh": "经由库代码：{names}"},
    "trace.hover.done": {
        "en": "{source} completed a future<br>→ its done callback {callback} ({lane})",
        "zh": "{source} 完成了一个 future<br>→ 其完成回调 {callback}（{lane}）",
    },
    "trace.link.made": {"en": "made by (parent → first step)", "zh": "创建（父任务 → 首次推进）"},
    "trace.link.done": {"en": "done callback (future done → callback)", "zh": "完成回调（future 完成 → 回调）"},
    "trace.link.more": {"en": "{name} · {n} more not drawn", "zh": "{name} · 另有 {n} 条未画出"},
    "trace.hover.job": {
        "en": "{name} (job {number})<br>worker pid {pid} · {ms} ms",
        "zh": "{name}（任务 {number}）<br>工作进程 pid {pid} · {ms} ms",
    },
    "trace.inspect.title": {"en": "Task", "zh": "任务"},
    "trace.inspect.hint": {
        "en": "Click a tick in the timeline to inspect its task.",
        "zh": "点击时间线上的刻度以查看其任务。",
    },
    "trace.inspect.plain": {
        "en": "That was a plain callback, not a task step.",
        "zh": "这是一个普通回调，不属于任何任务。",
    },
    "trace.inspect.name": {"en": "Name", "zh": "名称"},
    "trace.inspect.coro": {"en": "Coroutine", "zh": "协程"},
    "trace.inspect.site": {"en": "Created at", "zh": "创建位置"},
    "trace.inspect.state": {"en": "State", "zh": "状态"},
    "trace.inspect.stack": {"en": "Await stack", "zh": "等待栈"},
    "trace.inspect.no_stack": {"en": "(none: the task is not suspended)", "zh": "（无：任务未挂起）"},
    "trace.inspect.site_unknown": {"en": "(created before tracing began)", "zh": "（在追踪开始之前创建）"},
    "trace.state.pending": {"en": "pending", "zh": "未结束"},
    "trace.state.running": {"en": "running", "zh": "运行中"},
    "trace.state.waiting": {"en": "waiting", "zh": "等待中"},
    "trace.state.done": {"en": "done", "zh": "已完成"},
    "trace.state.cancelled": {"en": "cancelled", "zh": "已取消"},
    "trace.state.raised": {"en": "raised an exception", "zh": "抛出了异常"},
    "trace.cancel": {"en": "Cancel task", "zh": "取消任务"},
    "trace.cancelled": {
        "en": "Cancelled {name}. The collector starts a new poll task for the station a period later.",
        "zh": "已取消 {name}。采集进程将在一个周期后为该站点启动新的轮询任务。",
    },
    "trace.blocked": {
        "en": "{name}: watch for the red bar and the lag spike.",
        "zh": "{name}：请留意红色横条与延迟尖峰。",
    },
    "trace.jobs_sent": {
        "en": "{n} jobs sent to the worker pool: see the worker lanes.",
        "zh": "已向进程池提交 {n} 个任务：请查看工作进程泳道。",
    },
    "trace.status.live": {
        "en": "Tracing the {loop} loop (pid {pid}) · {window} s window",
        "zh": "正在追踪{loop}事件循环（pid {pid}）· {window} 秒窗口",
    },
    "trace.status.paused": {"en": "Paused · the loop is still being traced", "zh": "已暂停 · 仍在持续追踪"},
    "trace.counters.measuring": {
        "en": "Measuring events/s and the tracer's cost…",
        "zh": "正在测量每秒事件数与追踪开销……",
    },
    "trace.counters": {
        "en": "{rate} events/s · tracer {overhead} of a core · {dropped} dropped · {tasks} tasks known",
        "zh": "每秒 {rate} 个事件 · 追踪开销占单核 {overhead} · 丢弃 {dropped} 个 · 已知任务 {tasks} 个",
    },
    "trace.replay.counters.measuring": {
        "en": "The recording has no rate yet at this moment (its first second).",
        "zh": "录制在此刻还没有速率（它的第一秒）。",
    },
    "trace.replay.counters": {
        "en": "Recorded at this moment: {rate} events/s · tracer {overhead} of a core · {dropped} dropped ·"
        " {tasks} tasks known",
        "zh": "录制中此刻：每秒 {rate} 个事件 · 追踪开销占单核 {overhead} · 丢弃 {dropped} 个 · 已知任务 {tasks} 个",
    },
    "trace.lag": {"en": "Loop lag (ms)", "zh": "循环延迟（毫秒）"},
    "trace.err.agent_no_load": {
        "en": "An agent traces someone's program: it makes no load of its own there.",
        "zh": "代理追踪的是别人的程序：不会在其中制造额外负载。",
    },
    "trace.err.agent_no_loop": {"en": "The program has no event loop yet.", "zh": "程序还没有事件循环。"},
    "trace.err.unavailable": {
        "en": "The trace service does not answer: the collector is not running, or runs with LOOPLENS_TRACE_PORT=0.",
        "zh": "追踪服务无响应：采集进程未运行，或以 LOOPLENS_TRACE_PORT=0 运行。",
    },
    "trace.err.unavailable_sensor": {
        "en": "The sensor service does not answer with a trace: it is not running, or it is not looplens's own.",
        "zh": "传感器服务未返回追踪数据：它未运行，或不是 looplens 自带的传感器服务。",
    },
    "trace.err.block_range": {
        "en": "Block for a whole number of ms from 1 to {block_limit}.",
        "zh": "阻塞时长须为 1 到 {block_limit} 之间的整数毫秒。",
    },
    "trace.err.jobs_range": {
        "en": "Between 1 and {jobs_limit} jobs of 1 to {job_ms_limit} ms.",
        "zh": "任务数 1–{jobs_limit}，每个 1–{job_ms_limit} 毫秒。",
    },
    "trace.err.pool_broken": {
        "en": "The worker pool could not be started again: try once more.",
        "zh": "工作进程池无法重新启动：请再试一次。",
    },
    "trace.err.busy": {
        "en": "The loop is already blocked: wait until that block ends.",
        "zh": "事件循环已被阻塞：请等待本次阻塞结束。",
    },
    "trace.err.task_gone": {
        "en": "That task has finished or is no longer known to the tracer.",
        "zh": "该任务已结束，或追踪器已不再记录它。",
    },
    "trace.err.not_cancellable": {
        "en": "This task cannot be cancelled from here: only station poll tasks can (the collector restarts them).",
        "zh": "此任务不能在这里取消：只有站点轮询任务可以（采集进程会重新启动它们）。",
    },
    "trace.err.stream": {
        "en": "The trace stream hit a problem and is restarting…",
        "zh": "追踪数据流出现问题，正在重新启动……",
    },
    # the Trace page's agents (services.tracing.agents) and diagnosis
    "trace.loop.agent": {"en": "agent {address}", "zh": "代理 {address}"},
    "trace.agent.title": {"en": "Trace your own program", "zh": "追踪你自己的程序"},
    "trace.agent.hint": {
        "en": "Run it with looplens trace app.py, then give the address and token the agent prints.",
        "zh": "在程序中调用 looplens.agent.start()，或用 looplens 的追踪命令运行它，再填入代理打印的地址和令牌。",
    },
    "trace.agent.url": {"en": "Agent URL", "zh": "代理地址"},
    "trace.agent.token": {"en": "Agent token", "zh": "代理令牌"},
    "trace.agent.add": {"en": "Add agent", "zh": "添加代理"},
    "trace.agent.added": {
        "en": "Added the agent at {address} (pid {pid}): it is in the loop switch now.",
        "zh": "已添加位于 {address} 的代理（pid {pid}）：它已在事件循环切换中。",
    },
    "trace.err.agent_url": {
        "en": "An agent's URL is host:port (or http://host:port), as the agent prints it.",
        "zh": "代理地址应为 主机:端口，即代理打印的 HTTP 地址。",
    },
    "trace.err.agent_token_form": {
        "en": "Give the agent's token: the one it printed at start.",
        "zh": "请填写代理的令牌：它启动时打印的那个。",
    },
    "trace.err.agent_token": {
        "en": "The agent refused the token: give the one it printed at start.",
        "zh": "代理拒绝了该令牌：请填写它启动时打印的令牌。",
    },
    "trace.err.agent_unreachable": {
        "en": "The agent does not answer: is the program still running, at that address?",
        "zh": "代理无响应：程序是否仍在运行？地址是否正确？",
    },
    "trace.err.agent_unknown": {
        "en": "This agent is no longer known here: add it again with its URL and token.",
        "zh": "这里已不再记录该代理：请用其地址和令牌重新添加。",
    },
    "trace.err.forbidden": {"en": "The trace service refused the operator token.", "zh": "追踪服务拒绝了操作员令牌。"},
    "trace.record": {"en": "Record", "zh": "录制"},
    "trace.record_stop": {"en": "Stop recording", "zh": "停止录制"},
    "trace.record.agent_only": {
        "en": "Recording is for an agent's program: pick one in the loop switch, or add one.",
        "zh": "录制针对代理所追踪的程序：请在事件循环切换中选择一个，或添加一个。",
    },
    "trace.record.started": {
        "en": "Recording the program to {path} (compressed, bounded) until Stop recording or its exit.",
        "zh": "正在把程序录制到 {path}（压缩、有上限），直到停止录制或程序退出。",
    },
    "trace.record.stopped": {"en": "Recorded {written} s to {path}.", "zh": "已录制 {written} 秒到 {path}。"},
    "trace.record.none": {"en": "Nothing was being recorded.", "zh": "当前没有在录制。"},
    "trace.replay.title": {"en": "Replay a recording", "zh": "回放录制"},
    "trace.replay.hint": {
        "en": "Recordings kept in the recordings folder of the app's data folder, newest first. An agent writes its "
        "recording beside the program it traces: copy the file into that folder, or upload it here.",
        "zh": "应用数据目录下录制文件夹中的录制文件，最新的在前。代理把录制文件写在被追踪程序旁边："
        "把文件复制到该文件夹，或在此上传。",
    },
    "trace.replay.pick": {"en": "Recording", "zh": "录制文件"},
    "trace.replay.other": {"en": "Compare with", "zh": "对比对象"},
    "trace.replay.choose": {"en": "Choose a recording", "zh": "选择录制文件"},
    "trace.replay.upload": {"en": "Upload a recording (.llrec)", "zh": "上传录制文件"},
    "trace.replay.export": {"en": "Download for Perfetto", "zh": "下载供 Perfetto 打开"},
    "trace.replay.at": {"en": "Moment in the recording", "zh": "录制中的时刻"},
    "trace.replay.none": {"en": "No recording in the folder yet.", "zh": "文件夹中还没有录制文件。"},
    "trace.replay.status": {
        "en": "Replaying {name}: at {at} s of {seconds} s (recorded {when}, pid {pid}).",
        "zh": "正在回放 {name}：第 {at} 秒，共 {seconds} 秒（录制于 {when}，pid {pid}）。",
    },
    "trace.replay.findings_at_end": {
        "en": "Findings were made when the recording ended; each shows once the callbacks behind it have run.",
        "zh": "诊断结果在录制结束时得出；每条在其相关回调运行之后显示。",
    },
    "trace.replay.uploaded": {"en": "{name} was added to the recordings.", "zh": "{name} 已加入录制文件。"},
    "trace.replay.err.bad": {
        "en": "{name} is not a looplens recording, or it is damaged or cut short.",
        "zh": "{name} 不是 looplens 录制文件，或已损坏、不完整。",
    },
    "trace.replay.err.gone": {"en": "{name} is not in the recordings folder.", "zh": "录制文件夹中没有 {name}。"},
    "trace.replay.err.large": {
        "en": "{name} is too large to open here ({mb} MB; {most} MB at most).",
        "zh": "{name} 太大，无法在此打开（{mb} 兆字节；最多 {most} 兆字节）。",
    },
    "trace.replay.err.save": {"en": "{name} could not be kept: {error}", "zh": "无法保存 {name}：{error}"},
    "trace.replay.cmp.title": {"en": "Side by side", "zh": "并排对比"},
    "trace.replay.cmp.what": {"en": "Figure", "zh": "指标"},
    "trace.replay.cmp.pick": {
        "en": "Choose a second recording to compare the two.",
        "zh": "再选择一个录制文件即可对比两者。",
    },
    "trace.replay.cmp.seconds": {"en": "Length (s)", "zh": "时长（秒）"},
    "trace.replay.cmp.callbacks": {"en": "Callbacks", "zh": "回调数"},
    "trace.replay.cmp.tasks": {"en": "Tasks", "zh": "任务数"},
    "trace.replay.cmp.callback_ms_p50": {"en": "Callback p50 (ms)", "zh": "回调耗时中位数（毫秒）"},
    "trace.replay.cmp.callback_ms_p99": {"en": "Callback p99 (ms)", "zh": "回调耗时 99 分位（毫秒）"},
    "trace.replay.cmp.late_ms_p99": {"en": "Lateness p99 (ms)", "zh": "延迟 99 分位（毫秒）"},
    "trace.replay.cmp.slow": {"en": "Callbacks of 100 ms or more", "zh": "100 毫秒及以上的回调"},
    "trace.replay.cmp.longest_ms": {"en": "Longest (ms)", "zh": "最长（毫秒）"},
    "trace.replay.cmp.slowest": {"en": "Slowest callbacks", "zh": "最慢的回调"},
    "trace.replay.cmp.findings": {"en": "Findings", "zh": "诊断结果数"},
    "trace.cancelled_agent": {"en": "Cancelled {name}.", "zh": "已取消 {name}。"},
    "trace.status.agent": {
        "en": "Tracing the program at {address} (pid {pid}) · {window} s window",
        "zh": "正在追踪位于 {address} 的程序（pid {pid}）· {window} 秒窗口",
    },
    "trace.col.stuck": {"en": "Stuck at", "zh": "卡在"},
    "trace.inspect.stuck": {"en": "Last stuck", "zh": "上次卡住"},
    "trace.inspect.stuck_at": {"en": "{where} for {ms} ms", "zh": "{where}，{ms} 毫秒"},
    "trace.stack": {"en": "stack", "zh": "调用栈"},
    "trace.diag.title": {"en": "Diagnosis", "zh": "诊断"},
    "trace.tracks_summary": {
        "en": "Chart: the agent's queues, locks, semaphores and events over the window (a queue's size and its"
        " waiting putters and getters, a lock's holder and waiters), and its executor jobs by thread.",
        "zh": "图表：所选时间窗口内代理所见的队列、锁、信号量和事件（队列长度及等待放入、等待取出的任务数，"
        "锁的持有与等待者），以及按线程排列的执行器任务。",
    },
    "trace.track.queue": {"en": "queue made at {site}", "zh": "队列（创建于 {site}）"},
    "trace.track.lock": {"en": "lock made at {site}", "zh": "锁（创建于 {site}）"},
    "trace.track.semaphore": {"en": "semaphore made at {site}", "zh": "信号量（创建于 {site}）"},
    "trace.track.event": {"en": "event made at {site}", "zh": "事件（创建于 {site}）"},
    "trace.track.executor": {"en": "executor jobs, by thread", "zh": "执行器任务（按线程）"},
    "trace.track.size": {"en": "size", "zh": "长度"},
    "trace.track.putters": {"en": "waiting to put", "zh": "等待放入"},
    "trace.track.getters": {"en": "waiting to get", "zh": "等待取出"},
    "trace.track.held": {"en": "held", "zh": "已持有"},
    "trace.track.waiters": {"en": "waiting", "zh": "等待者"},
    "trace.track.free": {"en": "free slots", "zh": "空闲名额"},
    "trace.track.set": {"en": "set", "zh": "已设置"},
    "trace.track.job": {"en": "{name} · {ms} ms", "zh": "{name} · {ms} 毫秒"},
    "trace.tree.title": {"en": "Tasks: who made whom", "zh": "任务：谁创建了谁"},
    "trace.tree.own": {
        "en": "The task tree comes from an agent's program: pick one in the loop switch, or add one.",
        "zh": "任务树来自代理所追踪的程序：请在事件循环切换中选择一个，或添加一个。",
    },
    "trace.tree.none": {"en": "No task yet.", "zh": "还没有任务。"},
    "trace.tree.made": {"en": "the {n} it made", "zh": "它创建的 {n} 个任务"},
    "trace.tree.awaits": {"en": "awaits {names}", "zh": "等待 {names}"},
    "trace.tree.more": {"en": "… and {n} more tasks not shown.", "zh": "……另有 {n} 个任务未显示。"},
    "trace.diag.none": {
        "en": "No finding: nothing looks wrong in the last {window} s.",
        "zh": "没有发现：最近 {window} 秒内没有异常。",
    },
    "trace.diag.own": {
        "en": "Findings are made for an agent's program; pick one in the loop switch, or add one.",
        "zh": "诊断针对代理所追踪的程序：请在事件循环切换中选择一个，或添加一个。",
    },
    "trace.diag.times": {"en": "({n} times)", "zh": "（{n} 次）"},
    "trace.diag.show": {"en": "Show on the timeline", "zh": "在时间线上显示"},
    "trace.diag.shown": {
        "en": "{n} rows highlighted on the timeline and in the slow table.",
        "zh": "已在时间线和慢回调表中突出显示 {n} 个回调。",
    },
    "sources.title": {"en": "Sources", "zh": "数据源"},
    "sources.lead": {
        "en": "Where readings come from: the simulator, your MQTT broker (Zigbee2MQTT, Tasmota, ESPHome, Shelly, Home Assistant discovery), Open-Meteo weather or a Home Assistant server. Changes apply without a restart.",
        "zh": "读数从哪里来：模拟器、你的 MQTT 代理（Zigbee2MQTT、Tasmota、ESPHome、Shelly、Home Assistant 自动发现）、Open-Meteo 天气或 Home Assistant 服务器。修改无需重启即生效。",
    },
    "sources.all": {"en": "Every source", "zh": "全部数据源"},
    "sources.one": {
        "en": "One source: its sensors and the messages it could not use",
        "zh": "单个数据源：它的传感器和无法使用的消息",
    },
    "sources.pick": {"en": "Source", "zh": "数据源"},
    "sources.save": {"en": "Save", "zh": "保存"},
    "sources.test": {"en": "Test connection", "zh": "测试连接"},
    "sources.new": {"en": "New source", "zh": "新建数据源"},
    "sources.edit": {"en": "Edit", "zh": "编辑"},
    "sources.toggle": {"en": "Enable / disable", "zh": "启用 / 停用"},
    "sources.remove": {"en": "Remove", "zh": "删除"},
    "sources.form.new": {"en": "Add a source", "zh": "添加数据源"},
    "sources.form.edit": {"en": "Edit source {name}", "zh": "编辑数据源 {name}"},
    "sources.f.kind": {"en": "Kind", "zh": "类型"},
    "sources.f.name": {"en": "Name (a–z, 0–9, - and _)", "zh": "名称（a–z、0–9、- 和 _）"},
    "sources.f.host": {"en": "Broker host", "zh": "代理主机"},
    "sources.f.port": {"en": "Port", "zh": "端口"},
    "sources.f.username": {"en": "User name", "zh": "用户名"},
    "sources.f.password": {"en": "Password (blank: keep the saved one)", "zh": "密码（留空：保留已保存的）"},
    "sources.f.tls": {"en": "Encryption", "zh": "加密"},
    "sources.f.topics": {
        "en": "Topics, one per line (blank: every family’s usual topics)",
        "zh": "主题，每行一个（留空：各类设备的常用主题）",
    },
    "sources.f.places": {
        "en": "Places, one per line: a name (北京, Berlin) or lat,lon",
        "zh": "地点，每行一个：名称（北京、Berlin）或 纬度,经度",
    },
    "sources.f.language": {"en": "Place names in", "zh": "地名语言"},
    "sources.f.period": {"en": "Poll every (s, at least 60)", "zh": "轮询间隔（秒，至少 60）"},
    "sources.f.url": {"en": "Home Assistant URL", "zh": "Home Assistant 地址"},
    "sources.f.token": {
        "en": "Long-lived access token (blank: keep the saved one)",
        "zh": "长期访问令牌（留空：保留已保存的）",
    },
    "sources.simulator_note": {
        "en": "The simulator needs no settings: it polls looplens’s own sensor service.",
        "zh": "模拟器无需设置：它轮询 looplens 自带的传感器服务。",
    },
    "sources.never": {"en": "never", "zh": "从未"},
    "sources.ago": {"en": "{s} s ago", "zh": "{s} 秒前"},
    "sources.waiting": {"en": "Waiting for the collector to report its sources…", "zh": "正在等待采集进程报告数据源……"},
    "sources.state.starting": {"en": "starting", "zh": "启动中"},
    "sources.state.connected": {"en": "connected", "zh": "已连接"},
    "sources.state.retrying": {"en": "retrying", "zh": "重试中"},
    "sources.state.stopped": {"en": "stopped", "zh": "已停止"},
    "sources.state.disabled": {"en": "disabled", "zh": "已停用"},
    "sources.c.name": {"en": "Name", "zh": "名称"},
    "sources.c.kind": {"en": "Kind", "zh": "类型"},
    "sources.c.state": {"en": "State", "zh": "状态"},
    "sources.c.last": {"en": "Last message", "zh": "最近消息"},
    "sources.c.sensors": {"en": "Sensors", "zh": "传感器"},
    "sources.c.readings": {"en": "Readings", "zh": "读数"},
    "sources.c.rejected": {"en": "Rejected", "zh": "拒收"},
    "sources.kind.simulator": {"en": "Simulator", "zh": "模拟器"},
    "sources.kind.mqtt": {"en": "MQTT broker", "zh": "MQTT 代理"},
    "sources.kind.openmeteo": {"en": "Open-Meteo weather", "zh": "Open-Meteo 天气"},
    "sources.kind.homeassistant": {"en": "Home Assistant", "zh": "Home Assistant"},
    "sources.s.name": {"en": "Sensor", "zh": "传感器"},
    "sources.s.no_reading": {"en": "no reading yet", "zh": "尚无读数"},
    "sources.s.watch": {"en": "Watch it on the Live page", "zh": "在实时页面查看"},
    "sources.s.family": {"en": "Family", "zh": "类别"},
    "sources.s.temp": {"en": "Temperature", "zh": "温度"},
    "sources.s.hum": {"en": "Humidity", "zh": "湿度"},
    "sources.s.seen": {"en": "Last reading", "zh": "最近读数"},
    "sources.s.battery": {"en": "Battery", "zh": "电量"},
    "sources.s.state": {"en": "State", "zh": "状态"},
    "sources.s.rejected": {"en": "Rejected", "zh": "拒收"},
    "sources.s.unsupported": {"en": "not read: its template is not supported", "zh": "未读取：不支持其模板"},
    "sources.s.offline": {"en": "offline (its source says)", "zh": "离线（数据源报告）"},
    "sources.s.silent": {"en": "silent for 3 of its periods", "zh": "已沉默 3 个周期"},
    "sources.s.online": {"en": "reporting", "zh": "正常上报"},
    "sources.sensors": {"en": "Sensors ({n})", "zh": "传感器（{n}）"},
    "sources.rejects": {
        "en": "Messages it could not use ({n} in all; the last 50)",
        "zh": "无法使用的消息（共 {n} 条；最近 50 条）",
    },
    "sources.no_sensors": {"en": "No sensor found yet.", "zh": "尚未发现传感器。"},
    "sources.no_rejects": {"en": "None.", "zh": "无。"},
    "sources.r.at": {"en": "At", "zh": "时间"},
    "sources.r.where": {"en": "Topic or place", "zh": "主题或位置"},
    "sources.r.reason": {"en": "Why", "zh": "原因"},
    "sources.r.excerpt": {"en": "Its start", "zh": "消息开头"},
    "sources.saved": {
        "en": "Source {name} saved; the collector applies it within a few seconds.",
        "zh": "数据源 {name} 已保存；采集进程将在几秒内应用。",
    },
    "sources.removed": {"en": "Source {name} removed.", "zh": "数据源 {name} 已删除。"},
    "sources.enabled": {"en": "Source {name} enabled.", "zh": "数据源 {name} 已启用。"},
    "sources.disabled": {"en": "Source {name} disabled.", "zh": "数据源 {name} 已停用。"},
    "sources.check.ok": {"en": "Connected to {where}.", "zh": "已连接到 {where}。"},
    "sources.check.failed": {"en": "Could not connect: {detail}", "zh": "无法连接：{detail}"},
    "sources.check.timeout": {"en": "No answer within {seconds} s.", "zh": "{seconds} 秒内无应答。"},
    "sources.err.option": {"en": "The value of “{option}” cannot be used.", "zh": "“{option}”的值无法使用。"},
    "sources.err.too_long": {
        "en": "“{option}” is too long (at most {limit} characters).",
        "zh": "“{option}”太长（最多 {limit} 个字符）。",
    },
    "sources.err.port": {
        "en": "The port must be a whole number from 1 to 65535.",
        "zh": "端口必须是 1 到 65535 之间的整数。",
    },
    "sources.err.too_many": {
        "en": "“{option}” holds too many entries (at most {limit}).",
        "zh": "“{option}”的条目太多（最多 {limit} 条）。",
    },
    "sources.err.period": {
        "en": "The poll period must be from 60 to 86400 seconds.",
        "zh": "轮询间隔必须在 60 到 86400 秒之间。",
    },
    "sources.err.url": {
        "en": "The URL must start with http:// or https://.",
        "zh": "地址必须以 http:// 或 https:// 开头。",
    },
    "sources.err.name": {
        "en": "A name is 1–32 characters: lower-case letters, digits, - and _.",
        "zh": "名称为 1–32 个字符：小写字母、数字、- 和 _。",
    },
    "sources.err.kind": {"en": "Unknown kind of source: {kind}.", "zh": "未知的数据源类型：{kind}。"},
    "sources.err.required": {"en": "“{option}” is required.", "zh": "“{option}”为必填项。"},
    "sources.err.file": {
        "en": "The sources file cannot be used ({detail}); the collector keeps what it runs.",
        "zh": "数据源文件无法使用（{detail}）；采集进程保持当前运行的数据源。",
    },
    "sources.err.taken": {"en": "A source named {name} already exists.", "zh": "已存在名为 {name} 的数据源。"},
    "sources.err.too_many_sources": {"en": "At most {limit} sources.", "zh": "最多 {limit} 个数据源。"},
    "sources.err.unknown": {"en": "There is no source named {name}.", "zh": "没有名为 {name} 的数据源。"},
    "sources.err.auth": {"en": "The user name, password or token was refused.", "zh": "用户名、密码或令牌被拒绝。"},
    "sources.reject.no_value": {"en": "no temperature or humidity in it", "zh": "其中没有温度或湿度"},
    "sources.reject.temp_range": {"en": "temperature outside −60…+85 °C", "zh": "温度超出 −60…+85 °C"},
    "sources.reject.hum_range": {"en": "humidity outside 0…100 %RH", "zh": "湿度超出 0…100 %RH"},
    "sources.reject.too_many": {"en": "too many sensors in one source", "zh": "单个数据源的传感器过多"},
    "sources.err.topic": {
        "en": "“{topic}” is not an MQTT topic filter (# only as a whole last level, + as a whole level).",
        "zh": "“{topic}”不是 MQTT 主题过滤器（# 只能是完整的最后一级，+ 只能是完整的一级）。",
    },
    "sources.err.secret_again": {
        "en": "The address changed: type the {option} again (a saved one is only sent where it was saved for).",
        "zh": "地址已更改：请重新输入{option}（已保存的只发往原来的地址）。",
    },
    "sources.err.write": {
        "en": "The sources file could not be written (is the data folder full or read-only?); nothing changed.",
        "zh": "无法写入数据源文件（数据目录已满或只读？）；未做任何更改。",
    },
    "sources.reject.time": {
        "en": "its time is more than 30 days old or in the future",
        "zh": "其时间早于 30 天前或在未来",
    },
    "sources.err.unreachable": {"en": "Cannot reach the server: {error}", "zh": "无法连接到服务器：{error}"},
    "sources.err.http": {
        "en": "The server answered HTTP {status}: {reason}",
        "zh": "服务器返回 HTTP {status}：{reason}",
    },
    "sources.err.bad_answer": {
        "en": "The answer is not what was expected ({detail})",
        "zh": "应答不符合预期（{detail}）",
    },
    "sources.err.no_places": {
        "en": "No place to ask the weather of (none given, or none found)",
        "zh": "没有可查询天气的地点（未填写或均未找到）",
    },
    "sources.reject.place_unknown": {"en": "no place of that name was found", "zh": "找不到该名称的地点"},
    "sources.reject.bad_coordinates": {
        "en": "coordinates out of range (latitude −90…90, longitude −180…180)",
        "zh": "坐标超出范围（纬度 −90…90，经度 −180…180）",
    },
    "sources.reject.shape": {"en": "not the shape expected", "zh": "结构不符合预期"},
    "sources.reject.not_json": {"en": "not JSON", "zh": "不是 JSON"},
    "sources.reject.not_number": {"en": "not a number", "zh": "不是数字"},
    "sources.reject.bad_time": {"en": "its time cannot be read", "zh": "无法解析其时间"},
    "sources.reject.unit": {"en": "a unit that cannot be converted", "zh": "无法换算的单位"},
    "sources.err.timeout": {"en": "No answer in time; trying again.", "zh": "未能及时应答；正在重试。"},
    "sources.err.closed": {
        "en": "The server closed the connection; reconnecting.",
        "zh": "服务器关闭了连接；正在重新连接。",
    },
    "sources.err.subscribe": {"en": "The server refused the subscription.", "zh": "服务器拒绝了订阅。"},
    "sources.reject.availability": {
        "en": "availability is neither online nor offline",
        "zh": "可用性既不是在线也不是离线",
    },
    "sources.reject.unknown_topic": {"en": "no sensor family uses this topic", "zh": "没有传感器类型使用此主题"},
    "sources.reject.too_big": {"en": "message too large", "zh": "消息过大"},
    "sources.reject.internal": {"en": "could not be read (see the log)", "zh": "无法读取（见日志）"},
    "sources.reject.no_state_topic": {"en": "discovery config without a state topic", "zh": "发现配置缺少状态主题"},
    "sources.reject.template": {"en": "template not supported", "zh": "不支持该模板"},
    # the Fleet page (every sensor at once)
    "fleet.title": {"en": "Every sensor", "zh": "全部传感器"},
    "fleet.lead": {
        "en": "Every sensor of every source: sort, filter, tick a few and open them on Live.",
        "zh": "所有数据源的全部传感器：可排序、筛选，勾选几个后在实时页打开。",
    },
    "fleet.find": {"en": "Find", "zh": "查找"},
    "fleet.source": {"en": "Source", "zh": "数据源"},
    "fleet.status": {"en": "Status", "zh": "状态"},
    "fleet.any": {"en": "All", "zh": "全部"},
    "fleet.status.ok": {"en": "ok", "zh": "正常"},
    "fleet.status.alert": {"en": "alert", "zh": "告警"},
    "fleet.status.offline": {"en": "offline", "zh": "离线"},
    "fleet.status.never": {"en": "never seen", "zh": "从未出现"},
    "fleet.status.alert_since": {"en": "alert since {time}", "zh": "{time} 起告警"},
    "fleet.status.offline_since": {"en": "offline since {time}", "zh": "{time} 起离线"},
    "fleet.col.name": {"en": "Sensor", "zh": "传感器"},
    "fleet.col.source": {"en": "Source", "zh": "数据源"},
    "fleet.col.t": {"en": "Temp. °C", "zh": "温度 °C"},
    "fleet.col.h": {"en": "Humidity %", "zh": "湿度 %"},
    "fleet.col.spark": {"en": "Last hour", "zh": "近一小时"},
    "fleet.col.lo": {"en": "Today min °C", "zh": "今日最低 °C"},
    "fleet.col.hi": {"en": "Today max °C", "zh": "今日最高 °C"},
    "fleet.col.status": {"en": "Status", "zh": "状态"},
    "fleet.col.battery": {"en": "Battery %", "zh": "电量 %"},
    "fleet.no_rows": {"en": "No sensor matches.", "zh": "没有匹配的传感器。"},
    "fleet.loading": {"en": "Loading…", "zh": "加载中…"},
    "fleet.open": {"en": "Open on Live", "zh": "在实时页打开"},
    "fleet.selected": {"en": "{n} selected", "zh": "已选 {n} 个"},
    "fleet.thresholds": {"en": "Alert thresholds (°C, %RH)", "zh": "告警阈值（°C、%RH）"},
    "fleet.streaming": {
        "en": "{n} sensors · {ok} ok · {alert} alert · {offline} offline · {never} never seen",
        "zh": "{n} 个传感器 · 正常 {ok} · 告警 {alert} · 离线 {offline} · 从未出现 {never}",
    },
    "fleet.err.text": {
        "en": "The search text cannot hold control or invisible characters.",
        "zh": "查找文字不能包含控制字符或不可见字符。",
    },
    "fleet.err.text_long": {"en": "Search text: at most {limit} characters.", "zh": "查找文字最多 {limit} 个字符。"},
    "fleet.err.source": {"en": "No source of that name.", "zh": "没有该名称的数据源。"},
    "fleet.err.status": {"en": "No such status.", "zh": "没有该状态。"},
    "fleet.err.none_selected": {"en": "Tick one or more sensors first.", "zh": "请先勾选一个或多个传感器。"},
    "fleet.err.too_many": {
        "en": "Live shows at most {limit} sensors at once: tick fewer.",
        "zh": "实时页一次最多显示 {limit} 个传感器：请少选一些。",
    },
    "fleet.err.stream": {"en": "The table stopped updating; rebuilding…", "zh": "表格已停止更新；正在重建…"},
    "fleet.heat.title": {"en": "Who stands out: the last 24 hours", "zh": "谁与众不同：近 24 小时"},
    "fleet.heat.lead": {
        "en": "The {n} sensors (of {total}) furthest from the fleet's median of each hour; colour: the hour's mean temperature.",
        "zh": "{total} 个传感器中与每小时全体中位数相差最大的 {n} 个；颜色：该小时的平均温度。",
    },
    "fleet.heat.empty": {"en": "No hourly statistics yet.", "zh": "还没有小时统计。"},
    "fleet.heat.hover": {"en": "%{y} · %{x}: %{z:.1f} °C", "zh": "%{y} · %{x}：%{z:.1f} °C"},
    "fleet.heat.summary": {
        "en": "Heat strip: one row per sensor that stands out, one column per hour, coloured by its mean temperature; "
        "the table above gives every sensor's values in text.",
        "zh": "热力条：每行一个与众不同的传感器，每列一小时，颜色为该小时的平均温度；上方表格以文字给出每个传感器的数值。",
    },
}


def t(key: str, lang: str, **params: Any) -> str:
    """The message ``key`` in ``lang`` (English if missing), formatted with ``params``."""
    entry = TEXT.get(key) or TEXT["error.internal"]
    template = entry.get(lang) or entry[DEFAULT_LANG]
    try:
        return template.format(**params)
    except (KeyError, ValueError, IndexError):
        return template
