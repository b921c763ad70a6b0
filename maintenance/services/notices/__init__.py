"""Safety recalls and service notices (GPSR Art. 35 and 36): reach every affected owner, and show
who acted.
"""

# texts.py       the texts of a version, checked for the Art. 36 elements and softening words
# selection.py   which units a notice affects: GTINs, serial ranges or lists, a sale window
# authoring.py   draft, dry run, send, new versions, close; audit entries
# fanout.py      queue the messages of a sent notice in the reminder outbox, resumably
# outbox.py      what the dispatcher needs to render and record notice messages
# render.py      the email (Art. 36 layout) and the SMS line
# links.py       the signed link per delivery; acts.py what an owner does with it
# pages.py       open notices for unit and model pages, "my appliances", the calendar, the resolver
# figures.py     figures per notice, per day, and the CSV of affected serials
