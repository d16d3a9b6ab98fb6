"""De-identified copies of radiographs for research exports and sharing.

DICOM PS3.15 Annex E: the Basic Application Level Confidentiality Profile (DCM 113100) with the
Retain Longitudinal Temporal Information Full Dates Option (DCM 113106), because progression is
measured between dated radiographs. Actions follow Table E.1-1 (Basic Profile column):
X remove, Z empty, U replace UIDs; dates and times are kept (K) as the option requires.
Where the table offers a choice (X/Z, X/D, X/Z/D) we empty the attributes that are Type 2 in
the CR, DX and SC IODs and remove the rest (Annex E note 13: an attribute outside the IOD may
simply be removed). Pixel data are not touched: Burned In Annotation (0028,0301) is kept, and
`extract_metadata(...).burned_in_annotation` tells the caller to queue the image for review.
"""

from __future__ import annotations

import copy
import hashlib
import hmac

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

PROFILE_CODES = (
    ("113100", "Basic Application Confidentiality Profile"),
    ("113106", "Retain Longitudinal Temporal Information Full Dates Option"),
)
# (0012,0063) is LO: at most 64 characters per value
DEIDENTIFICATION_METHOD = "PS3.15 E.1 Basic Profile, Full Dates; UIDs 2.25 HMAC-SHA256"

_DICOM_UID_ROOT = "1.2.840.10008."  # PS3.5 9.1: only the standard's own UIDs live under it

# Type 2 in the CR/DX/SC IODs (or Annex E says Z): kept with an empty value.
EMPTIED = frozenset(
    {
        "PatientName",  # (0010,0010) Z, or the pseudonym
        "PatientID",  # (0010,0020) Z, or the pseudonym
        "PatientBirthDate",  # (0010,0030) Z: not a longitudinal date, the option keeps none
        "PatientSex",  # (0010,0040) Z
        "AccessionNumber",  # (0008,0050) Z
        "ReferringPhysicianName",  # (0008,0090) Z
        "StudyID",  # (0020,0010) Z
        "AcquisitionContextSequence",  # (0040,0555) X/Z: Type 2 in the DX IOD
    }
)

REMOVED = frozenset(
    {
        # Patient and visit
        "PatientBirthTime",
        "PatientAge",
        "PatientSize",
        "PatientWeight",
        "PatientAddress",
        "PatientTelephoneNumbers",
        "PatientTelecomInformation",
        "PatientBirthName",
        "PatientMotherBirthName",
        "OtherPatientIDs",
        "OtherPatientNames",
        "OtherPatientIDsSequence",
        "IssuerOfPatientID",
        "IssuerOfPatientIDQualifiersSequence",
        "PatientComments",
        "AdditionalPatientHistory",
        "MedicalAlerts",
        "Allergies",
        "EthnicGroup",
        "Occupation",
        "SmokingStatus",
        "PregnancyStatus",
        "LastMenstrualDate",
        "PatientReligiousPreference",
        "MilitaryRank",
        "BranchOfService",
        "CountryOfResidence",
        "RegionOfResidence",
        "MedicalRecordLocator",
        "InsurancePlanIdentification",
        "PatientInsurancePlanCodeSequence",
        "PatientPrimaryLanguageCodeSequence",
        "PatientPrimaryLanguageModifierCodeSequence",
        "ResponsiblePerson",
        "ResponsibleOrganization",
        "PatientState",
        "SpecialNeeds",
        "PatientSexNeutered",
        "ReferencedPatientSequence",
        "ReferencedPatientAliasSequence",
        "ReferencedPatientPhotoSequence",
        "ConfidentialityConstraintOnPatientDataDescription",
        "AdmissionID",
        "IssuerOfAdmissionID",
        "IssuerOfAdmissionIDSequence",
        "AdmittingDiagnosesDescription",
        "AdmittingDiagnosesCodeSequence",
        "CurrentPatientLocation",
        "PatientInstitutionResidence",
        "ScheduledPatientInstitutionResidence",
        "ServiceEpisodeID",
        "ServiceEpisodeDescription",
        "IssuerOfServiceEpisodeID",
        "VisitComments",
        "DischargeDiagnosisDescription",
        # Study, request and procedure step: descriptions and comments are free text
        "StudyDescription",
        "SeriesDescription",
        "ImageComments",
        "ProtocolName",
        "StudyComments",
        "StudyIDIssuer",
        "AcquisitionComments",
        "AcquisitionProtocolDescription",
        "AcquisitionDeviceProcessingDescription",
        "DerivationDescription",
        "IdentifyingComments",
        "FrameComments",
        "ImagePresentationComments",
        "TextComments",
        "TextString",
        "CommentsOnRadiationDose",
        "RequestAttributesSequence",
        "RequestedProcedureDescription",
        "RequestedProcedureID",
        "RequestedProcedureComments",
        "RequestedProcedureLocation",
        "RequestedContrastAgent",
        "ReasonForTheRequestedProcedure",
        "ReasonForRequestedProcedureCodeSequence",
        "ReasonForStudy",
        "ReasonForVisit",
        "ReasonForVisitCodeSequence",
        "ReasonForTheImagingServiceRequest",
        "ImagingServiceRequestComments",
        "RequestingPhysician",
        "RequestingService",
        "PlacerOrderNumberImagingServiceRequest",
        "FillerOrderNumberImagingServiceRequest",
        "OrderEnteredBy",
        "OrderEntererLocation",
        "OrderCallbackPhoneNumber",
        "OrderCallbackTelecomInformation",
        "ScheduledProcedureStepID",
        "ScheduledProcedureStepDescription",
        "ScheduledProcedureStepLocation",
        "ScheduledPerformingPhysicianName",
        "ScheduledPerformingPhysicianIdentificationSequence",
        "ScheduledStationName",
        "ScheduledStationAETitle",
        "ScheduledStudyLocation",
        "ScheduledStudyLocationAETitle",
        "ScheduledHumanPerformersSequence",
        "PerformedProcedureStepID",
        "PerformedProcedureStepDescription",
        "CommentsOnThePerformedProcedureStep",
        "PerformedStationName",
        "PerformedStationAETitle",
        "PerformedLocation",
        "PerformedStationNameCodeSequence",
        "PerformedStationGeographicLocationCodeSequence",
        "ReferencedStudySequence",
        "ReferencedPerformedProcedureStepSequence",
        # People other than the patient
        "PerformingPhysicianName",
        "PerformingPhysicianIdentificationSequence",
        "NameOfPhysiciansReadingStudy",
        "PhysiciansReadingStudyIdentificationSequence",
        "PhysiciansOfRecord",
        "PhysiciansOfRecordIdentificationSequence",
        "ReferringPhysicianAddress",
        "ReferringPhysicianTelephoneNumbers",
        "ReferringPhysicianIdentificationSequence",
        "ConsultingPhysicianName",
        "ConsultingPhysicianIdentificationSequence",
        "OperatorsName",
        "OperatorIdentificationSequence",
        "ActualHumanPerformersSequence",
        "HumanPerformerName",
        "HumanPerformerOrganization",
        "PersonName",
        "PersonAddress",
        "PersonTelephoneNumbers",
        "PersonTelecomInformation",
        "PersonIdentificationCodeSequence",
        "VerifyingObserverName",
        "VerifyingObserverSequence",
        "VerifyingObserverIdentificationCodeSequence",
        "VerifyingOrganization",
        "AuthorObserverSequence",
        "ParticipantSequence",
        "CustodialOrganizationSequence",
        "ContentCreatorName",
        "ContentCreatorIdentificationCodeSequence",
        "ReviewerName",
        "NamesOfIntendedRecipientsOfResults",
        "IntendedRecipientsOfResultsIdentificationSequence",
        "DistributionName",
        "DistributionAddress",
        "PhysicianApprovingInterpretation",
        "InterpretationRecorder",
        "InterpretationTranscriber",
        "InterpretationAuthor",
        "InterpretationApproverSequence",
        "InterpretationText",
        "InterpretationDiagnosisDescription",
        "InterpretationID",
        "InterpretationIDIssuer",
        "ResultsComments",
        "ResultsDistributionListSequence",
        "ResultsID",
        "ResultsIDIssuer",
        "Impressions",
        # Institution and equipment (Retain Institution/Device Identity options not used)
        "InstitutionName",
        "InstitutionAddress",
        "InstitutionCodeSequence",
        "InstitutionalDepartmentName",
        "InstitutionalDepartmentTypeCodeSequence",
        "StationName",
        "StationAETitle",
        "RetrieveAETitle",
        "NetworkID",
        "DeviceSerialNumber",
        "DeviceDescription",
        "LongDeviceDescription",
        "UniqueDeviceIdentifier",
        "UDISequence",
        "DetectorID",
        "PlateID",
        "CassetteID",
        "GantryID",
        "GeneratorID",
        "ModifyingDeviceID",
        "ModifiedImageDescription",
        # Copies of original values, signatures, images that may show a face or a label
        "OriginalAttributesSequence",
        "ModifiedAttributesSequence",
        "NonconformingModifiedAttributesSequence",
        "EncryptedAttributesSequence",
        "DigitalSignaturesSequence",
        "ReferencedDigitalSignatureSequence",
        "ReferencedSOPInstanceMACSequence",
        "MAC",
        "InstanceOriginStatus",
        "IconImageSequence",  # note 11: its pixels cannot be cleaned here
        "DataSetTrailingPadding",
    }
)

# UI attributes that hold class, syntax or coding-scheme UIDs, not instance identifiers.
KEPT_UIDS = frozenset(
    {
        "SOPClassUID",
        "MediaStorageSOPClassUID",
        "ReferencedSOPClassUID",
        "ReferencedSOPClassUIDInFile",
        "RelatedGeneralSOPClassUID",
        "OriginalSpecializedSOPClassUID",
        "TransferSyntaxUID",
        "ReferencedTransferSyntaxUIDInFile",
        "MACCalculationTransferSyntaxUID",
        "EncryptedContentTransferSyntaxUID",
        "ImplementationClassUID",
        "CodingSchemeUID",
        "ContextUID",
        "MappingResourceUID",
    }
)

# File meta attributes that name the sending station or carry private data (PS3.10 7.1).
_FILE_META_REMOVED = (
    "SourceApplicationEntityTitle",
    "SendingApplicationEntityTitle",
    "ReceivingApplicationEntityTitle",
    "SourcePresentationAddress",
    "SendingPresentationAddress",
    "ReceivingPresentationAddress",
    "PrivateInformationCreatorUID",
    "PrivateInformation",
)


def map_uid(uid: str, key: bytes) -> str:
    """A stable replacement UID: "2.25." + the first 16 bytes of HMAC-SHA256(key, uid).

    PS3.5 B.2 lets a UUID-sized integer stand under the 2.25 root; 128 bits give at most 44
    characters, well under the 64 allowed. Same key and UID, same result: files of one study
    keep sharing their study and series UIDs, and a re-export maps them again identically.
    """
    digest = hmac.new(key, uid.strip("\0 ").encode("ascii"), hashlib.sha256).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def deidentify(ds: Dataset, *, uid_key: bytes, patient_pseudonym: str = "") -> Dataset:
    """Return a de-identified copy of `ds` (the original is not modified)."""
    if not uid_key:
        raise ValueError("uid_key must not be empty: UIDs would be guessable.")
    out = copy.deepcopy(ds)
    _clean(out, uid_key)
    file_meta = getattr(out, "file_meta", None)
    if file_meta is not None:
        for keyword in _FILE_META_REMOVED:
            file_meta.pop(keyword, None)
        if "MediaStorageSOPInstanceUID" in file_meta:
            file_meta.MediaStorageSOPInstanceUID = map_uid(
                str(file_meta.MediaStorageSOPInstanceUID), uid_key
            )
    out.PatientName = patient_pseudonym
    out.PatientID = patient_pseudonym
    out.PatientIdentityRemoved = "YES"  # (0012,0062)
    out.DeidentificationMethod = DEIDENTIFICATION_METHOD  # (0012,0063)
    out.DeidentificationMethodCodeSequence = Sequence(  # (0012,0064), CID 7050
        [_code(value, meaning) for value, meaning in PROFILE_CODES]
    )
    # (0028,0303) SOP Common: dates and times were kept as they were (113106)
    out.LongitudinalTemporalInformationModified = "UNMODIFIED"
    return out


def _clean(ds: Dataset, key: bytes) -> None:
    """Apply the profile to one dataset level, then to every item of every kept sequence."""
    for elem in list(ds):
        tag = elem.tag
        if (
            tag.is_private  # Basic Profile: private attributes removed (no Safe Private option)
            or tag.element == 0x0000  # group lengths would be wrong after the edits
            or 0x5000 <= tag.group <= 0x501E  # curves (retired): Curve Data is X
            or 0x6000 <= tag.group <= 0x601E  # overlays: Overlay Data and Comments are X; the
            # rest of an overlay group is useless without its data
            or elem.keyword in REMOVED
        ):
            del ds[tag]
        elif elem.keyword in EMPTIED:
            elem.value = elem.empty_value
        elif elem.VR == "SQ":
            for item in elem.value:
                _clean(item, key)
        elif elem.VR == "UI" and elem.keyword not in KEPT_UIDS:
            _replace_uids(elem, key)


def _replace_uids(elem: DataElement, key: bytes) -> None:
    """Map every instance UID in the element; the standard's own UIDs (classes) stay."""
    if not elem.value:
        return
    values = list(elem.value) if isinstance(elem.value, MultiValue) else [elem.value]
    mapped = [v if str(v).startswith(_DICOM_UID_ROOT) else map_uid(str(v), key) for v in values]
    elem.value = mapped if len(mapped) > 1 else mapped[0]


def _code(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = "DCM"
    item.CodeMeaning = meaning
    return item
