"""What the supply contracts' values are called: the offers and identifiers applications share with them, and a
contract's audit rows (written by the import)."""

from __future__ import annotations

from backoffice.audit.present import Vocabulary
from backoffice.contracts.models import CommercialOffer
from backoffice.validation.identifiers import IdentifierKind
from workflows.i18n import N_

OFFER_LABELS = {
    CommercialOffer.UNIVERSAL_SERVICE: N_("Universal service"),
    CommercialOffer.FREE_PRICE: N_("Free price"),
}
IDENTIFIER_KIND_LABELS = {IdentifierKind.EDRPOU: N_("EDRPOU"), IdentifierKind.RNOKPP: N_("RNOKPP")}

VOCABULARY = Vocabulary(
    subject=N_("Contract"),
    actions={"import_create": N_("Imported from the contract register"), "import_update": N_("Updated by the import")},
    fields={
        "number": N_("Contract number"),
        "identifier": N_("EDRPOU or RNOKPP"),
        "identifier_kind": N_("Kind of identifier"),
        "consumer_name": N_("Consumer name"),
        "commercial_offer": N_("Commercial offer"),
        "signatory_name": N_("Signatory"),
        "signatory_tax_number": N_("Signatory's RNOKPP"),
        "contact_email": N_("Contact email"),
    },
    values={"commercial_offer": OFFER_LABELS, "identifier_kind": IDENTIFIER_KIND_LABELS},
)
