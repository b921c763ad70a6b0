"""Service partners: profiles and approval, finding one for a postcode, and service requests."""
