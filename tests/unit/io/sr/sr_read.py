"""Read a measurement report SR with pydicom and print its content as JSON (the test's independent reference).

Usage: sr_read.py FILE
Prints: sop class, template, evidence UIDs, image library UIDs and one entry per measurement group
(tracking id/uid, SCOORD3D type, points and frame of reference, NUM values with concept and unit).
"""
import json
import sys

import pydicom


def concept(item):
    c = item.ConceptNameCodeSequence[0]
    return [c.CodingSchemeDesignator, c.CodeValue, c.CodeMeaning]


def main():
    ds = pydicom.dcmread(sys.argv[1])
    out = {
        "sopClass": ds.SOPClassUID,
        "modality": ds.Modality,
        "root": concept(ds),
        "template": ds.ContentTemplateSequence[0].TemplateIdentifier,
        "study": ds.StudyInstanceUID,
        "evidence": [
            r.ReferencedSOPInstanceUID
            for s in ds.CurrentRequestedProcedureEvidenceSequence
            for se in s.ReferencedSeriesSequence
            for r in se.ReferencedSOPSequence
        ],
        "rootItems": [[i.RelationshipType, i.ValueType, concept(i)] for i in ds.ContentSequence],
        "library": [],
        "groups": [],
    }
    for item in ds.ContentSequence:
        name = concept(item)[1]
        if name == "111028":
            for group in item.ContentSequence:
                for img in group.ContentSequence:
                    out["library"].append(img.ReferencedSOPSequence[0].ReferencedSOPInstanceUID)
        if name == "126010":
            for group in item.ContentSequence:
                g = {"template": group.ContentTemplateSequence[0].TemplateIdentifier, "values": {}}
                for c in group.ContentSequence:
                    code = concept(c)[1]
                    if c.ValueType == "TEXT":
                        g["id"] = c.TextValue
                    elif c.ValueType == "UIDREF":
                        g["uid"] = c.UID
                    elif c.ValueType == "SCOORD3D":
                        g["region"] = {
                            "type": c.GraphicType,
                            "points": [float(x) for x in c.GraphicData],
                            "for": c.ReferencedFrameOfReferenceUID,
                        }
                    elif c.ValueType == "NUM":
                        mv = c.MeasuredValueSequence[0]
                        unit = mv.MeasurementUnitsCodeSequence[0]
                        g["values"][concept(c)[2]] = {"value": float(mv.NumericValue), "unit": unit.CodeValue, "code": code}
                out["groups"].append(g)
    print(json.dumps(out))


main()
