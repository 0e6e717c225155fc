"""What readers see: plotly charts and formatted tables, the sections of the district and
province reports, the analysts' explorer, and workbooks annotated for the districts.

Nothing is imported here: plotly, ipywidgets and nbconvert load only when a view is built."""

__all__: list[str] = []
