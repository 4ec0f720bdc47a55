"""Writing a report: a text table, CSV, JSON or an XLSX workbook (openpyxl).

Every format shows the same cells (`View.shown`): counts as numbers, hidden counts as
"<5" or "x", rates as fractions (formatted as percent in XLSX and the table). The XLSX
has one sheet per view with Danish headers and a chart of the exit rate by type.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.report import Report
from bot.report.model import Shown, View

FORMATS = ("table", "csv", "json", "xlsx")
SYNTHETIC = "SYNTETISKE DEMODATA - ingen rigtige borgere, virksomheder eller sager."


def _text(value: Shown, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and kind == "rate":
        return f"{value:.0%}"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def header(report: Report) -> list[str]:
    request = report.request
    lines = []
    if report.synthetic:
        lines.append(SYNTHETIC)
    span = " – ".join(d.isoformat() if d else "…" for d in (request.date_from, request.date_to))
    lines.append(
        f"Opgjort {request.today.isoformat()} · {report.audience.label} · periode "
        f"({request.period}): {span if (request.date_from or request.date_to) else 'alle'}"
    )
    return lines


def view_table(view: View) -> str:
    """One view as an aligned plain-text table (Danish headings)."""
    headers = [*view.dims, *(c.label for c in view.visible)]
    kinds = ["text"] * len(view.dims) + [c.kind for c in view.visible]
    body = [
        [
            *labels,
            *(_text(cell, kind) for cell, kind in zip(cells, kinds[len(view.dims) :], strict=True)),
        ]
        for labels, cells in zip(view.all_labels(), view.shown(), strict=True)
    ]
    if not view.data:
        return f"{view.title}\n(ingen data)"
    widths = [max(len(row[i]) for row in [headers, *body]) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(widths[i]) if i < len(view.dims) else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()

    lines = [view.title, line(headers), "  ".join("-" * w for w in widths)]
    lines += [line(row) for row in body]
    legend = view.legend()
    if legend:
        lines.append(legend)
    return "\n".join(lines)


def to_table(report: Report) -> str:
    return "\n\n".join([*header(report), *(view_table(view) for view in report.views)]) + "\n"


def to_csv(report: Report) -> str:
    """One table per view, each under a row with its title, separated by an empty row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for line in header(report):
        writer.writerow([line])
    for view in report.views:
        writer.writerow([])
        writer.writerow([view.title])
        writer.writerow([*view.dims, *(c.label for c in view.visible)])
        for labels, cells in zip(view.all_labels(), view.shown(), strict=True):
            writer.writerow([*labels, *("" if c is None else c for c in cells)])
    return out.getvalue()


def to_json(report: Report) -> str:
    request = report.request
    document: dict[str, Any] = {
        "synthetic": report.synthetic,
        "today": request.today.isoformat(),
        "audience": report.audience.label,
        "suppressed": not report.audience.own,
        "min_cell_size": report.min_size,
        "by": list(request.by),
        "period": request.period,
        "from": request.date_from.isoformat() if request.date_from else None,
        "to": request.date_to.isoformat() if request.date_to else None,
        "views": [view_document(view) for view in report.views],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def view_document(view: View) -> dict[str, Any]:
    """One view as the JSON export shows it."""
    return {
        "name": view.name,
        "title": view.title,
        "dimensions": list(view.dims),
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in view.visible],
        "legend": view.legend(),
        "rows": [
            {
                "labels": list(labels),
                "total": index == len(view.data),
                "values": dict(zip((c.key for c in view.visible), cells, strict=True)),
            }
            for index, (labels, cells) in enumerate(
                zip(view.all_labels(), view.shown(), strict=True)
            )
        ],
    }


CHART_SHEET = "Graf"


def to_xlsx(report: Report, path: Path, *, chart: View | None = None) -> None:
    """A workbook: a sheet per view (title row, header row, one row per group, the total
    row), numbers as numbers; and a sheet with the exit rate by type and its bar chart
    (`chart`: an exit view by type)."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for view in report.views:
        sheet = book.create_sheet(view.name[:31])
        row = 1
        for line in header(report):
            sheet.cell(row=row, column=1, value=line)
            row += 1
        sheet.cell(row=row, column=1, value=view.title).font = bold
        row += 1
        headers = [*view.dims, *(c.label for c in view.visible)]
        for column, text in enumerate(headers, start=1):
            sheet.cell(row=row, column=column, value=text).font = bold
        sheet.freeze_panes = sheet.cell(row=row + 1, column=len(view.dims) + 1)
        for labels, cells in zip(view.all_labels(), view.shown(), strict=True):
            row += 1
            for column, text in enumerate(labels, start=1):
                sheet.cell(row=row, column=column, value=text)
            for offset, (cell, spec) in enumerate(zip(cells, view.visible, strict=True)):
                target = sheet.cell(row=row, column=len(view.dims) + 1 + offset, value=cell)
                if spec.kind == "rate" and isinstance(cell, float):
                    target.number_format = "0%"
                elif spec.kind == "average" and isinstance(cell, float):
                    target.number_format = "0.0"
        legend = view.legend()
        if legend:
            sheet.cell(row=row + 2, column=1, value=legend)
        for index, text in enumerate(headers, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(10, min(40, len(text) + 2))
    if chart is not None:
        sheet = book.create_sheet(CHART_SHEET)
        sheet.cell(row=1, column=1, value="Type").font = bold
        rate_columns = [c for c in chart.visible if c.kind == "rate"]
        for offset, rate in enumerate(rate_columns, start=2):
            sheet.cell(row=1, column=offset, value=rate.label).font = bold
        for index, (labels, cells) in enumerate(
            zip(chart.labels, chart.shown(), strict=False), start=2
        ):
            sheet.cell(row=index, column=1, value=labels[0])
            values = dict(zip((c.key for c in chart.visible), cells, strict=True))
            for offset, rate in enumerate(rate_columns, start=2):
                value = values[rate.key]
                cell = sheet.cell(
                    row=index, column=offset, value=value if isinstance(value, float) else None
                )
                cell.number_format = "0%"
        bar = BarChart()
        bar.type = "col"
        bar.title = "Afgang til job eller uddannelse pr. type"
        bar.y_axis.title = "Andel"
        bar.y_axis.number_format = "0%"
        rows = len(chart.labels) + 1
        data = Reference(sheet, min_col=2, max_col=1 + len(rate_columns), min_row=1, max_row=rows)
        bar.add_data(data, titles_from_data=True)
        bar.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=rows))
        bar.height, bar.width = 9, 18
        sheet.add_chart(bar, f"A{rows + 3}")
    book.save(path)
