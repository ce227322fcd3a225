"""HTTP views of the registry: thin viewsets over the selectors, plus import, export and GeoJSON."""

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadhandler import FileUploadHandler
from django.db.models import F, Q
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from linkage import exporter, graph_cache, jobs, selectors, services
from linkage.models import BuyerRequirements, Credential
from linkage.readiness import effective_requirements

from . import filters
from . import serializers as s
from .job_views import JOB_ACCEPTED, job_accepted
from .permissions import BUYER_ROLE, PRODUCER_ROLE, Account, IsPlanner, account_of
from .queries import ExportQuery, GeoJSONQuery, read_query
from .renderers import (
    CSVRenderer,
    FileNegotiation,
    GeoJSONRenderer,
    JSONRenderer,
    XLSXRenderer,
    feature_collection,
)

__all__ = [
    "AreaViewSet",
    "BuyerViewSet",
    "ExportTableView",
    "ExportWorkbookView",
    "ImportView",
    "LinkageViewSet",
    "ProducerViewSet",
    "ProductViewSet",
    "SourcingRequestViewSet",
]

EXPORT_TABLES = (
    "areas",
    "producers",
    "products",
    "buyers",
    "linkages",
    "sourcing_requests",
    "proposals",
)
# Tables of the two sides' dealings, downloaded by planners only.
PLANNERS_TABLES = frozenset({"proposals"})


class RegistryViewSet(viewsets.ModelViewSet):
    """A registry table addressed by code; writes limited to the records the account owns."""

    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filter_backends = [DjangoFilterBackend, filters.FoldedSearchFilter, OrderingFilter]
    search_fields = ["name_folded"]
    ordering_fields = ["code", "name"]
    write_roles: frozenset[str] = frozenset()
    selector = None
    # Writes go through linkage.services: <entity>_create, <entity>_update, <entity>_delete.
    entity = ""

    def get_queryset(self):
        queryset = type(self).selector()
        if getattr(self, "swagger_fake_view", False) or self.request.method in SAFE_METHODS:
            return queryset
        account = account_of(self.request)
        if account.is_planner:
            return queryset
        return queryset.filter(self.owned(account))

    def owned(self, account: Account) -> Q:
        """The records a non-planner account may change."""
        return Q(pk__in=[])

    def _addressed(self, code):
        """The record of the URL for an action that checks its own rights: a write another
        account may not make is the service layer's to refuse (400), not a missing record."""
        if "\x00" in str(code):
            raise Http404
        record = type(self).selector().filter(code=code).first()
        if record is None:
            raise Http404(_("No record has the code %s.") % code)
        return record

    def get_object(self):
        # PostgreSQL refuses a NUL character in a query, and no code holds one: simply not found.
        if "\x00" in str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")):
            raise Http404
        return super().get_object()

    def perform_create(self, serializer):
        create = getattr(services, f"{self.entity}_create")
        serializer.instance = create(actor=account_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer):
        update = getattr(services, f"{self.entity}_update")
        serializer.instance = update(
            actor=account_of(self.request),
            **{self.entity: serializer.instance},
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        delete = getattr(services, f"{self.entity}_delete")
        delete(actor=account_of(self.request), **{self.entity: instance})


class GeoJSONMixin:
    """``…/geojson/``: the filtered list as a FeatureCollection of points, ``limit`` at most."""

    geojson_properties: dict[str, str] = {}

    @extend_schema(
        summary="Filtered list as GeoJSON (RFC 7946)",
        filters=True,
        parameters=[GeoJSONQuery],
        responses={
            (200, GeoJSONRenderer.media_type): OpenApiTypes.OBJECT,
            (200, JSONRenderer.media_type): OpenApiTypes.OBJECT,
        },
    )
    @action(
        detail=False,
        url_path="geojson",
        pagination_class=None,
        renderer_classes=[GeoJSONRenderer, JSONRenderer],
    )
    def geojson(self, request, *args, **kwargs):
        limit = read_query(GeoJSONQuery, request)["limit"]
        queryset = self.filter_queryset(self.get_queryset()).filter(
            lat__isnull=False, lon__isnull=False
        )
        expressions = {
            name: F(path) for name, path in self.geojson_properties.items() if name != path
        }
        plain = [name for name, path in self.geojson_properties.items() if name == path]
        # One row past the limit tells whether the answer was cut.
        rows = list(queryset.values("lat", "lon", *plain, **expressions)[: limit + 1])
        return Response(
            feature_collection(
                rows[:limit], list(self.geojson_properties), truncated=len(rows) > limit
            )
        )


class AreaViewSet(GeoJSONMixin, RegistryViewSet):
    """Provinces, districts and communes. Written by staff and planners only."""

    entity = "area"
    selector = staticmethod(selectors.area_list)
    serializer_class = s.AreaSerializer
    filterset_class = filters.AreaFilter
    ordering_fields = ["code", "name", "level", "population"]
    geojson_properties = {
        "code": "code",
        "name": "name",
        "level": "level",
        "parent_code": "parent__code",
        "population": "population",
    }


class ProducerViewSet(GeoJSONMixin, RegistryViewSet):
    """OCOP producers. A producer account updates its own; only staff and planners create."""

    entity = "producer"
    selector = staticmethod(selectors.producer_list)
    serializer_class = s.ProducerSerializer
    household_name_fields = {"name_folded": "kind"}
    filterset_class = filters.ProducerFilter
    ordering_fields = ["code", "name", "kind", "members", "updated_at"]
    write_roles = frozenset({PRODUCER_ROLE})
    create_roles: frozenset[str] = frozenset()
    geojson_properties = {
        "code": "code",
        "name": "name",
        "kind": "kind",
        "area_code": "area__code",
        "members": "members",
    }

    def owned(self, account):
        return Q(pk__in=account.producer_ids)

    @extend_schema(
        summary="The credentials the producer holds (counterparts and planners only)",
        filters=False,
        request=s.CredentialSerializer,
        parameters=[OpenApiParameter("kind", str, description="DELETE: the kind to remove")],
        # Every method answers 200 with the credentials held afterwards, DELETE included.
        responses={200: s.CredentialSerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get", "post", "delete"],
        url_path="credentials",
        pagination_class=None,
        filter_backends=[],
    )
    def credentials(self, request, code=None):
        """GET the producer's credentials; POST one (``kind``, ``expires_on``, ``reference``;
        the kind's earlier one is replaced); DELETE ``?kind=``. Readers who may not see the
        producer's contacts may not see its credentials either (403)."""
        account = account_of(request)
        producer = self._addressed(code)
        if not account.sees_contacts_of_producer(producer):
            raise PermissionDenied(
                _("Only counterparts and planners see a producer's credentials.")
            )
        if request.method == "POST":
            body = s.CredentialSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            services.credential_set(actor=account, producer=producer, **body.validated_data)
        elif request.method == "DELETE":
            credential = Credential.objects.filter(
                producer=producer, kind=request.query_params.get("kind", "")
            ).first()
            if credential is None:
                raise Http404(_("The producer holds no credential of that kind."))
            services.credential_delete(actor=account, credential=credential)
        held = Credential.objects.filter(producer=producer).order_by("kind")
        return Response(s.CredentialSerializer(held, many=True).data)


class ProductViewSet(RegistryViewSet):
    """Products with their OCOP rating. A producer account writes the products of its producers."""

    entity = "product"
    selector = staticmethod(selectors.product_list)
    serializer_class = s.ProductSerializer
    filterset_class = filters.ProductFilter
    search_fields = ["name_folded", "producer__name_folded"]
    household_name_fields = {"producer__name_folded": "producer__kind"}
    ordering_fields = ["code", "name", "stars", "rated_on", "rating_expires_on", "price_vnd"]
    write_roles = frozenset({PRODUCER_ROLE})

    def owned(self, account):
        return Q(producer_id__in=account.producer_ids)

    @extend_schema(
        summary="The product's rating history, newest first",
        filters=False,
        responses=s.RatingSerializer(many=True),
    )
    @action(detail=True, url_path="ratings", pagination_class=None, filter_backends=[])
    def ratings(self, request, code=None):
        ratings = self.get_object().ratings.order_by("-rated_on")
        return Response(s.RatingSerializer(ratings, many=True).data)


class BuyerViewSet(GeoJSONMixin, RegistryViewSet):
    """Chains, stores, sales points, platforms and traders.

    A buyer account writes its own buyers and the stores of the chains it owns.
    """

    entity = "buyer"
    selector = staticmethod(selectors.buyer_list)
    serializer_class = s.BuyerSerializer
    filterset_class = filters.BuyerFilter
    ordering_fields = ["code", "name", "kind", "min_stars", "updated_at"]
    write_roles = frozenset({BUYER_ROLE})
    geojson_properties = {
        "code": "code",
        "name": "name",
        "kind": "kind",
        "chain_code": "chain__code",
        "area_code": "area__code",
        "categories": "categories",
        "min_stars": "min_stars",
    }

    def owned(self, account):
        return account.buyer_q()

    @extend_schema(
        summary="The buyer's requirements: its own, else its chain's",
        filters=False,
        request=s.BuyerRequirementsSerializer,
        # DELETE answers 200 with the requirements then in force (the chain's), like GET and PUT.
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(
        detail=True,
        methods=["get", "put", "delete"],
        url_path="requirements",
        pagination_class=None,
        filter_backends=[],
    )
    def requirements(self, request, code=None):
        """GET (anyone) the requirements in force, with ``source``: "own", "chain" or null; PUT
        the buyer's own (its account, its chain's, planners); DELETE them, so that a store
        follows its chain's again."""
        buyer = self._addressed(code)
        account = account_of(request)
        if request.method == "PUT":
            body = s.BuyerRequirementsSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            services.buyer_requirements_set(actor=account, buyer=buyer, **body.validated_data)
        elif request.method == "DELETE":
            services.buyer_requirements_clear(actor=account, buyer=buyer)
        rows = {
            row.buyer_id: row
            for row in BuyerRequirements.objects.filter(
                buyer_id__in=[buyer.pk, buyer.chain_id or buyer.pk]
            )
        }
        own, chain = rows.get(buyer.pk), rows.get(buyer.chain_id) if buyer.chain_id else None
        found, source = effective_requirements(own, chain)
        data = s.BuyerRequirementsSerializer(found).data if found is not None else None
        return Response({"buyer": buyer.code, "source": source, "requirements": data})


class SourcingRequestViewSet(RegistryViewSet):
    """Buyers' sourcing requests. A buyer account writes the requests of the buyers it writes."""

    entity = "sourcing_request"
    selector = staticmethod(selectors.sourcing_request_list)
    serializer_class = s.SourcingRequestSerializer
    filterset_class = filters.SourcingRequestFilter
    search_fields: list[str] = []
    ordering_fields = ["code", "quantity_per_month", "created_at", "updated_at"]
    write_roles = frozenset({BUYER_ROLE})

    def owned(self, account):
        return account.buyer_q("buyer__")


class LinkageViewSet(RegistryViewSet):
    """Ties between actors, addressed by id.

    A producer account writes linkages from its producers; a buyer account those to its buyers.
    """

    lookup_field = "pk"
    lookup_value_regex = "[0-9]+"
    entity = "linkage"
    selector = staticmethod(selectors.linkage_list)
    serializer_class = s.LinkageSerializer
    filterset_class = filters.LinkageFilter
    search_fields: list[str] = []
    ordering_fields = ["id", "kind", "started_on", "volume_per_month"]
    write_roles = frozenset({PRODUCER_ROLE, BUYER_ROLE})

    def owned(self, account):
        return Q(source_producer_id__in=account.producer_ids) | account.buyer_q("target_buyer__")


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"


def _too_large() -> UploadTooLarge:
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    return UploadTooLarge(
        {
            "file": [
                f"The file is larger than {limit / 2**20:,.0f} MB, the most an upload may be "
                "(IMPORT_MAX_UPLOAD_BYTES); split it, or import it on the server with "
                "manage.py import_data."
            ]
        }
    )


class _BoundedUpload(FileUploadHandler):
    """Stops an uploaded file at IMPORT_MAX_UPLOAD_BYTES while it arrives (a body without a
    Content-Length, or one that lies); the other handlers store what it passes on."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise _too_large()
        return raw_data

    def file_complete(self, file_size):
        return None


# Room for the multipart form around the file: boundaries, headers, the other fields.
_FORM_OVERHEAD = 64 * 1024


class ImportView(APIView):
    """Upload a workbook or CSV file of the registry tables (staff and planners only).

    The upload is bounded (IMPORT_MAX_UPLOAD_BYTES, 413 above it, before the body is read) and so
    is what it unpacks to (linkage.importing's limits: 400 with the report). A file larger than
    IMPORT_BACKGROUND_BYTES is imported by a job when ``linkage.jobs`` says so: 202 and
    ``jobs/<id>/`` with the import's progress, then the report as the job's result.
    """

    permission_classes = [IsPlanner]
    parser_classes = [MultiPartParser, FormParser]

    def initial(self, request, *args, **kwargs):
        # Before authentication: a session's CSRF check already reads the body.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.IMPORT_MAX_UPLOAD_BYTES + _FORM_OVERHEAD:
            raise _too_large()
        request._request.upload_handlers.insert(0, _BoundedUpload(request._request))
        super().initial(request, *args, **kwargs)

    @extend_schema(
        summary="Import a workbook or CSV file",
        operation_id="import_upload",
        tags=["import"],
        request={"multipart/form-data": s.ImportUploadSerializer},
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The import report."),
            202: JOB_ACCEPTED,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="The report, with the bad rows, or the file over a limit.",
            ),
            413: OpenApiResponse(OpenApiTypes.OBJECT, description="The file is too large."),
        },
    )
    def post(self, request):
        upload = s.ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        from linkage.importing import import_upload
        from linkage.importing.run import saved_upload_path

        file = upload.validated_data["file"]
        options = {
            "filename": file.name,
            "dry_run": upload.validated_data["dry_run"],
            "skip_bad_rows": upload.validated_data["skip_bad_rows"],
        }
        if jobs.runs_as_job(
            size=file.size,
            inline_limit=settings.IMPORT_BACKGROUND_BYTES,
            background=upload.validated_data["background"],
        ):
            # Jobs take plain arguments: the file waits on disk for its job, which removes it.
            path = saved_upload_path(file.name)
            with path.open("wb") as saved:
                for chunk in file.chunks():
                    saved.write(chunk)
            job_id = jobs.enqueue(
                "linkage.importing.run.import_saved_upload", path=str(path), **options
            )
            return job_accepted(request, job_id)
        report = import_upload(file, **options)
        code = status.HTTP_200_OK if report.ok else status.HTTP_400_BAD_REQUEST
        return Response(report.as_dict(), status=code)


def _known_table(table: str) -> str:
    if table not in EXPORT_TABLES:
        raise Http404(_("No table is named %s.") % table)
    return table


_EXPORT_RESPONSES = {
    (200, CSVRenderer.media_type): OpenApiTypes.STR,
    (200, XLSXRenderer.media_type): OpenApiTypes.BINARY,
    202: JOB_ACCEPTED,
    401: OpenApiResponse(OpenApiTypes.OBJECT, description="Not signed in."),
}


class RegistryExportView(APIView):
    """A whole-registry download, for signed-in accounts: the file kept for the registry's
    current version, else built now (a small registry, or no job queue) or by a background job
    (202 and ``jobs/<id>/``, whose result gives the ``download_url``). A write moves the version
    on, so an older file is never served."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = FileNegotiation

    def export(self, request, name: str, fmt: str, filename: str):
        background = read_query(ExportQuery, request)["background"]
        # Read before any data: a write after this moves it on (see exporter.build_export).
        version = graph_cache.current_version() or f"unshared-{uuid.uuid4().hex}"
        path = exporter.export_file(name, fmt, version)
        if not path.exists():
            queued = jobs.runs_as_job(
                size=exporter.export_rows(name),
                inline_limit=settings.EXPORT_INLINE_ROWS,
                background=background,
            )
            if queued:
                # The answer is JSON, whatever file the URL names.
                request.accepted_renderer = JSONRenderer()
                request.accepted_media_type = JSONRenderer.media_type
                return job_accepted(request, self._job(request, name, fmt, version))
            exporter.build_export(name=name, fmt=fmt, version=version)
        media_type = CSVRenderer.media_type + "; charset=utf-8" if fmt == "csv" else None
        response = FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=f"{filename}.{fmt}",
            content_type=media_type or XLSXRenderer.media_type,
        )
        response["ETag"] = f'"{version}-{name}.{fmt}"'
        return response

    @staticmethod
    def _job(request, name: str, fmt: str, version: str) -> str:
        """The job building this export at this version: the one already queued, else a new one."""
        key = f"exports:job:{version}:{name}.{fmt}"
        job_id = cache.get(key)
        known = jobs.job_status(job_id) if job_id else None
        if known is None or known["status"] == "failed":
            url = request.build_absolute_uri(request.path) + "?" + urlencode({"version": version})
            job_id = jobs.enqueue(
                "linkage.exporter.build_export",
                name=name,
                fmt=fmt,
                version=version,
                download_url=url,
            )
            cache.set(key, job_id, timeout=jobs.RESULT_TTL)
        return job_id


class ExportTableView(RegistryExportView):
    """One registry table as CSV (UTF-8 with a byte-order mark) or as a workbook of one sheet."""

    renderer_classes = [CSVRenderer, XLSXRenderer]

    @extend_schema(
        summary="Export one table (signed-in accounts)",
        operation_id="export_table",
        tags=["export"],
        parameters=[
            OpenApiParameter("table", str, OpenApiParameter.PATH, enum=EXPORT_TABLES),
            OpenApiParameter("format", str, OpenApiParameter.PATH, enum=["csv", "xlsx"]),
            ExportQuery,
        ],
        responses=_EXPORT_RESPONSES,
    )
    def get(self, request, table: str, format: str):
        table = _known_table(table)
        if table in PLANNERS_TABLES and not account_of(request).is_planner:
            raise PermissionDenied(_("Only planners may download the proposals."))
        return self.export(request, table, format, table)


class ExportWorkbookView(RegistryExportView):
    """Every registry table in one Excel workbook, a sheet per table (the import format)."""

    renderer_classes = [XLSXRenderer]

    @extend_schema(
        summary="Export all tables (signed-in accounts)",
        operation_id="export_workbook",
        tags=["export"],
        parameters=[ExportQuery],
        responses={
            key: value for key, value in _EXPORT_RESPONSES.items() if key != (200, "text/csv")
        },
    )
    def get(self, request):
        return self.export(request, exporter.WORKBOOK, "xlsx", exporter.WORKBOOK)
