"""HTML blueprints: public scan pages, staff login, manufacturer, retailer, owner, admin."""
