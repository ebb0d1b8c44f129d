"""A plain, server-rendered page of the API's OpenAPI schema (no script, no CDN)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator


@require_GET
def api_docs(request):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            params = [
                {"name": p["name"], "in": p["in"], "required": p.get("required", False)}
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {})
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("description", "").strip(),
                    "parameters": params,
                    "request_types": list(body),
                    "responses": sorted(op.get("responses", {})),
                }
            )
    return render(request, "api/docs.html", {"operations": operations, "info": schema["info"]})
