"""The language switch's own callbacks: a dropdown's words and each page's tab title."""

from __future__ import annotations

import asyncio

import dash

from app import create_app
from callbacks.i18n import dropdown_labels
from services.core.settings import Settings
from shell import page_titles


def test_a_dropdown_says_how_many_are_selected_in_the_chosen_language():
    zh = asyncio.run(dropdown_labels("zh"))
    assert zh["selected_count"].replace("{num_selected}", "5") == "已选 5 个"
    assert asyncio.run(dropdown_labels("xx"))["clear_selection"] == "Clear selection"  # unknown: English


def test_every_registered_page_title_has_its_chinese_title(tmp_path):
    create_app(Settings(data_dir=tmp_path))  # registers the pages
    titles = page_titles()
    registered = {page["title"] for page in dash.page_registry.values()} - {"looplens"}
    assert registered <= set(titles)
    assert (
        titles["Live · looplens"]["zh"] == "实时 · looplens"
        and titles["Not found · looplens"]["zh"] == "未找到 · looplens"
    )
