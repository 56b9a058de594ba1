"""Clinical charting services: notes, signatures, co-signature, addenda, diagnoses, plans, documents."""
