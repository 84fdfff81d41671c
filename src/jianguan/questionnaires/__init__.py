"""Questionnaires and consultation forms (问卷调查 / 问诊表) on the FHIR Questionnaire model."""
