from django.urls import path

from .views import customers, entry, record

app_name = "records"

urlpatterns = [
    # customers.py: finding, enrolling, identity, cards, panel, merge
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/new/", customers.customer_enrol, name="customer_enrol"),
    path("customers/<uuid:customer_id>/edit/", customers.customer_edit, name="customer_edit"),
    path(
        "customers/<uuid:customer_id>/reveal/<str:what>/",
        customers.customer_reveal,
        name="customer_reveal",
    ),
    path("customers/<uuid:customer_id>/cards/new/", customers.card_issue, name="card_issue"),
    path(
        "customers/<uuid:customer_id>/cards/<uuid:card_id>/<str:event>/",
        customers.card_event,
        name="card_event",
    ),
    path("customers/<uuid:customer_id>/merge/", customers.customer_merge, name="customer_merge"),
    path("panel/", customers.manager_panel, name="panel"),
    path("panel/<uuid:manager_id>/", customers.manager_panel, name="panel_of"),
    # record.py: the 360° page; entry.py: the forms that write the health record
    path("customers/<uuid:customer_id>/", record.customer_360, name="customer"),
    path("customers/<uuid:customer_id>/vitals/", entry.vitals_add, name="vitals_add"),
    path(
        "customers/<uuid:customer_id>/observations/<uuid:observation_id>/",
        entry.observation_correct,
        name="observation_correct",
    ),
    path("customers/<uuid:customer_id>/<str:section>/new/", entry.section_add, name="section_add"),
    path(
        "customers/<uuid:customer_id>/<str:section>/<uuid:item_id>/",
        entry.section_edit,
        name="section_edit",
    ),
    path(
        "customers/<uuid:customer_id>/visits/<uuid:visit_id>/conclusions/",
        entry.visit_conclusions,
        name="visit_conclusions",
    ),
]
