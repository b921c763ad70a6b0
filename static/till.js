// Till helpers; every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var gtin = document.getElementById("gtin");
  var serial = document.getElementById("serial");
  var noSerial = document.getElementById("no_serial");
  if (gtin && serial) {
    // A barcode scanner types the EAN and presses Enter: go on to the serial instead of sending.
    gtin.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && gtin.value.trim() && !serial.value.trim() &&
          !(noSerial && noSerial.checked)) {
        event.preventDefault();
        serial.focus();
      }
    });
  }
  var buttons = document.querySelectorAll(".print-button");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
});
